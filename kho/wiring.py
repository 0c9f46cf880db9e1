"""Wires packages together for the processes kho runs (collector service, web app).

The only module besides the CLI and app that may import from every package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from collector.api import HasHealth, health_app
from collector.reading import StreamConsumer
from collector.service import Collector
from kho.asgi_thread import ThreadedServer
from kho.settings import Settings

log = logging.getLogger(__name__)


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


def stop_consumer(consumer: object) -> None:
    """Stop a stream consumer that runs threads of its own (the alert engine), whatever it calls that."""
    for name in ("stop", "close"):
        fn = getattr(consumer, name, None)
        if callable(fn):
            try:
                fn()
            except Exception as e:  # shutting down: report and go on stopping the rest
                log.warning("stopping %s: %s", type(consumer).__name__, e)
            return


@dataclass
class CollectorRun:
    """A collector and the stream consumers it feeds, started and stopped together."""

    collector: Collector
    consumers: list[StreamConsumer] = field(default_factory=list)

    def start(self) -> CollectorRun:
        """Start the collector (the consumers run already); on failure the consumers are stopped."""
        try:
            self.collector.start()
        except BaseException:
            for c in self.consumers:
                stop_consumer(c)
            raise
        return self

    def stop(self) -> None:
        """Stop the collector (drain, write or spool, acknowledge), then the consumers: they see the last readings."""
        try:
            self.collector.stop()
        finally:
            for c in self.consumers:
                stop_consumer(c)


def build_collector(settings: Settings, sessions: sessionmaker[Session], state_dir: Path | None = None) -> CollectorRun:
    """The collector of ``settings`` with its consumers attached, not yet started (``.start()`` it).

    The one place ``kho collect``, ``kho demo`` and the benchmarks get a collector from. Its files (spool, dead
    letters) go to ``state_dir``, by default ``<settings.state_dir>/collector``.
    """
    collector = Collector(
        settings.mqtt,
        settings.influx,
        settings.collector,
        sessions,
        state_dir if state_dir is not None else settings.state_dir / "collector",
    )
    consumers = build_consumers(settings, sessions, collector.health)
    for c in consumers:
        collector.add_consumer(c)
    return CollectorRun(collector, consumers)


def health_server(collector: HasHealth, host: str, port: int) -> ThreadedServer:
    """A (not yet started) server of the collector's ``/healthz`` and ``/metrics`` on ``host:port``."""
    return ThreadedServer(health_app(collector), host, port, name="kho-health", lifespan="off", access_log=False)
