"""The web app: mounts every package's router; the only place that knows them all."""

from __future__ import annotations

import secrets
from types import ModuleType
from typing import Any

from fastapi import FastAPI

from alerts import api as alerts_api
from collector import api as collector_api
from inventory import web as inventory_web
from inventory.auth import AuthError
from inventory.db import make_engine, make_sessionmaker
from inventory.errors import RegistryError
from inventory.timezone import serve_zones
from inventory.webutil import auth_error_handler, install_error_pages, registry_error_handler
from kho.settings import Settings

# Each package's web module: its ``router`` is mounted and its ``setup_app(app)``, if it has one, is called.
ROUTERS: list[ModuleType] = [
    inventory_web,
    alerts_api,
    collector_api,
]


def install_web_conventions(app: FastAPI) -> None:
    """What every router relies on, installed before any of them: a service error (RegistryError) or an
    auth failure answers as JSON under ``/api/`` and as a page elsewhere, whoever raised it; so do 404, 405,
    422 and 500."""
    app.add_exception_handler(RegistryError, registry_error_handler)
    app.add_exception_handler(AuthError, auth_error_handler)
    install_error_pages(app)


def create_app(settings: Settings, **state: Any) -> FastAPI:
    """Build the FastAPI app; ``state`` adds or replaces objects on ``app.state`` (tests inject clocks)."""
    app = FastAPI(title="kho", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json")
    engine = make_engine(settings.database_url, settings.database.echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.site_zones = serve_zones(app.state.sessions)
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
    install_web_conventions(app)
    for mod in ROUTERS:
        app.include_router(mod.router)
        setup = getattr(mod, "setup_app", None)
        if setup is not None:
            setup(app)
    from inventory.dbdown import install as install_dbdown

    install_dbdown(app)
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
    from kho.backup_schedule import install as install_backup

    install_backup(app, settings)
    return app
