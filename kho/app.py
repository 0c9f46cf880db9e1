"""The web app: mounts every package's router; the only place that knows them all."""

from __future__ import annotations

import importlib
import secrets
from typing import Any

from fastapi import FastAPI

from inventory.db import make_engine, make_sessionmaker
from kho.settings import Settings

# (module, attribute) of each package's APIRouter; a package that is not built yet is skipped.
ROUTERS: list[tuple[str, str]] = [
    ("inventory.web", "router"),
    ("alerts.api", "router"),
    ("collector.api", "router"),
    ("inventory.archival.web", "router"),
]


def create_app(settings: Settings, **state: Any) -> FastAPI:
    """Build the FastAPI app; ``state`` adds or replaces objects on ``app.state`` (tests inject clocks)."""
    app = FastAPI(title="kho", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json")
    engine = make_engine(settings.database_url, settings.database.echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    if not settings.web.secret_key.get_secret_value():
        # A fresh key per start would log everyone out on restart: keep one in the state dir.
        key_file = settings.state_dir / "secret_key"
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.state.secret_key = key_file.read_text().strip()
    else:
        app.state.secret_key = settings.web.secret_key.get_secret_value()
    for key, value in state.items():
        setattr(app.state, key, value)
    for module, attr in ROUTERS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        app.include_router(getattr(mod, attr))
        setup = getattr(mod, "setup_app", None)
        if setup is not None:
            setup(app)
    return app


def create_service_app(settings: Settings, **state: Any) -> FastAPI:
    """The app as ``kho serve`` and ``kho demo`` run it: with the room page's climate from InfluxDB, overdue
    cleaning told through the alert channels, and the cleaning scheduler running (background threads, so
    tests of single pages use ``create_app``)."""
    from alerts.cleaning_notice import OverdueCleaningNotifier
    from collector.latest import LatestClimate
    from inventory.cleaning import install as install_cleaning

    app = create_app(settings, **state)
    if getattr(app.state, "climate_provider", None) is None:
        app.state.climate_provider = LatestClimate(settings.influx, app.state.sessions)
    if getattr(app.state, "overdue_notifier", None) is None:
        app.state.overdue_notifier = OverdueCleaningNotifier(app.state.sessions)
    install_cleaning(app)
    from alerts.transfer_reminder import install as install_transfer_reminder

    install_transfer_reminder(app, settings.archival)
    return app
