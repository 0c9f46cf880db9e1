"""Wires packages together for the processes kho runs (collector service, web app).

The only module besides the CLI and app that may import from every package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from collector.reading import StreamConsumer
from kho.settings import Settings


def alerts_base_url(settings: Settings) -> str:
    """Where acknowledge links point: the alerts setting, else the web app's public URL."""
    return settings.alerts.public_base_url or settings.web.public_base_url


def alerts_secret(settings: Settings) -> str:
    """The secret the web app verifies acknowledge links with (same source as ``kho.app``)."""
    from alerts.links import app_secret

    return app_secret(settings.web.secret_key.get_secret_value(), settings.state_dir)


def build_alert_engine(
    settings: Settings,
    sessions: sessionmaker[Session],
    health: Callable[[], dict[str, Any]] | None = None,
    **kw: Any,
) -> Any:
    """A started alert engine (``alerts.engine.AlertEngine``)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from alerts.engine import AlertEngine
    from inventory.errors import RegistryError

    engine = AlertEngine(
        settings.alerts,
        sessions,
        secret=alerts_secret(settings),
        base_url=alerts_base_url(settings),
        health=health,
        **kw,
    )
    try:
        return engine.start()
    except (OperationalError, ProgrammingError) as e:
        raise RegistryError(
            f"alert tables are missing or outdated ({type(e.orig).__name__}): run `kho db upgrade` first"
        ) from None


def build_consumers(
    settings: Settings, sessions: sessionmaker[Session], health: Callable[[], dict[str, Any]]
) -> list[StreamConsumer]:
    """Stream consumers the collector feeds (the alert engine). ``health`` returns the collector's health dict.

    The engine is started here; call its ``stop()`` (or ``close()``) when the collector stops.
    """
    if not settings.alerts.enabled:
        return []
    return [build_alert_engine(settings, sessions, health)]
