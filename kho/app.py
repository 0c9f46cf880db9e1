"""The web app: mounts every package's router; the only place that knows them all."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from alerts import api as alerts_api
from alerts import pages as alerts_pages
from collector import api as collector_api
from dashboards import wall
from inventory import admin as inventory_admin
from inventory import inputerrors
from inventory import web as inventory_web
from inventory.archival import web as archival_web
from inventory.auth import AuthError
from inventory.db import make_engine, make_sessionmaker
from inventory.dbdown import install as install_dbdown
from inventory.errors import RegistryError
from inventory.secret_key import app_secret
from inventory.timezone import serve_zones
from inventory.webutil import auth_error_handler, install_error_pages, registry_error_handler
from kho import firmware_download
from kho.filemodes import warn_wide_modes
from kho.settings import Settings

# Each package's web module: its ``router`` is mounted and its ``setup_app(app)``, if it has one, is called.
ROUTERS: list[ModuleType] = [
    inventory_web,
    inventory_admin,
    firmware_download,
    alerts_api,
    alerts_pages,
    wall,
    collector_api,
    archival_web,
]


def install_web_conventions(app: FastAPI) -> None:
    """What every router relies on, installed before any of them: a service error (RegistryError) or an
    auth failure answers as JSON under ``/api/`` and as a page elsewhere, whoever raised it; so do 404, 405,
    422 and 500."""
    app.add_exception_handler(RegistryError, registry_error_handler)
    app.add_exception_handler(AuthError, auth_error_handler)
    install_error_pages(app)
    inputerrors.install(app)  # bad input: a 400 page in the user's language (JSON under /api/), never a 500
    install_dbdown(app)  # the registry database unreachable: 503 "try again", never a 500


SWAGGER = Path(__file__).parent / "static" / "swagger"


def _offline_api_docs(app: FastAPI) -> None:
    """Swagger UI at ``/api/docs`` from the package's own copy of swagger-ui-dist (see its LICENSE there):
    the docs work on a network without internet, and the page loads nothing from elsewhere."""
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER), name="swagger-static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="kho API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )


def create_app(settings: Settings, **state: Any) -> FastAPI:
    """Build the FastAPI app; ``state`` adds or replaces objects on ``app.state`` (tests inject clocks)."""
    app = FastAPI(title="kho", version="0.1.0", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    _offline_api_docs(app)
    engine = make_engine(settings.database_url, settings.database.echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.site_zones = serve_zones(app.state.sessions)
    warn_wide_modes(settings.state_dir)
    # A fresh key per start would log everyone out on restart: one is kept in the state dir.
    app.state.secret_key = app_secret(settings.web.secret_key.get_secret_value(), settings.state_dir)
    for key, value in state.items():
        setattr(app.state, key, value)
    install_web_conventions(app)
    for mod in ROUTERS:
        app.include_router(mod.router)
        setup = getattr(mod, "setup_app", None)
        if setup is not None:
            setup(app)
    return app


def create_service_app(settings: Settings, **state: Any) -> FastAPI:
    """The app as ``kho serve`` and ``kho demo`` run it: with the room page's climate from InfluxDB, overdue
    cleaning told through the alert channels, and the cleaning scheduler running (background threads, so
    tests of single pages use ``create_app``)."""
    from alerts.cleaning_notice import OverdueCleaningNotifier
    from collector.history import ClimateHistory
    from collector.latest import LatestClimate
    from inventory.cleaning import install as install_cleaning

    app = create_app(settings, **state)
    if getattr(app.state, "climate_provider", None) is None:
        app.state.climate_provider = LatestClimate(settings.influx, app.state.sessions)
    if getattr(app.state, "history_provider", None) is None:
        app.state.history_provider = ClimateHistory(settings.influx)
    if getattr(app.state, "overdue_notifier", None) is None:
        app.state.overdue_notifier = OverdueCleaningNotifier(app.state.sessions)
    install_cleaning(app)
    from kho.backup_schedule import install as install_backup

    install_backup(app, settings)
    from alerts.transfer_reminder import install as install_transfer_reminder

    install_transfer_reminder(app, settings.archival)
    return app
