"""Health endpoints: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text) of a running collector."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

log = logging.getLogger(__name__)

router = APIRouter(tags=["collector"])


class HasHealth(Protocol):
    def health(self) -> dict[str, Any]: ...


_NOT_RUNNING = {"healthy": False, "error": "the collector does not run in this process (start it with `kho collect`)"}


def _collector(request: Request) -> HasHealth | None:
    return getattr(request.app.state, "collector", None)


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """The collector's health: 200 when healthy, 503 otherwise (or when no collector runs here)."""
    c = _collector(request)
    if c is None:
        return JSONResponse(_NOT_RUNNING, status_code=503)
    h = c.health()
    return JSONResponse(h, status_code=200 if h.get("healthy") else 503)


# (health key, metric name, type, help)
_METRICS = [
    ("received_total", "kho_collector_messages_received_total", "counter", "MQTT messages received"),
    ("readings_total", "kho_collector_readings_total", "counter", "Valid readings decoded"),
    ("status_total", "kho_collector_status_events_total", "counter", "Device status events"),
    ("written_total", "kho_collector_lines_written_total", "counter", "Lines written to InfluxDB"),
    ("spooled_total", "kho_collector_lines_spooled_total", "counter", "Lines written to the disk spool"),
    ("rejected_total", "kho_collector_rejected_total", "counter", "Rejected messages or batch elements"),
    ("clock_skew_total", "kho_collector_clock_skew_total", "counter", "Readings restamped with receive time"),
    ("consumer_errors_total", "kho_collector_consumer_errors_total", "counter", "Stream consumer exceptions"),
    (
        "consumer_waits_total",
        "kho_collector_consumer_waits_total",
        "counter",
        "Times ingestion waited for a stream consumer that was too far behind",
    ),
    (
        "consumer_wait_s",
        "kho_collector_consumer_wait_seconds_total",
        "counter",
        "Seconds ingestion waited for stream consumers",
    ),
    ("write_errors_total", "kho_collector_influx_write_errors_total", "counter", "Failed InfluxDB writes"),
    ("spool_depth", "kho_collector_spool_depth", "gauge", "Lines waiting in the spool"),
    ("spool_bytes", "kho_collector_spool_bytes", "gauge", "Bytes in the spool"),
    ("spool_cap_bytes", "kho_collector_spool_cap_bytes", "gauge", "Spool size cap"),
    ("inbox_depth", "kho_collector_inbox_depth", "gauge", "Messages received, not yet processed"),
    (
        "read_pauses_total",
        "kho_collector_read_pauses_total",
        "counter",
        "Times the MQTT reader paused because the inbox was full",
    ),
    ("readings_per_s", "kho_collector_readings_per_second", "gauge", "Recent readings per second"),
    ("deadletter_count", "kho_collector_deadletter_count", "gauge", "Messages in the dead-letter store"),
    ("uptime_s", "kho_collector_uptime_seconds", "gauge", "Seconds since start"),
]


def prometheus_text(h: dict[str, Any]) -> str:
    """Render a health dict as Prometheus exposition text."""
    out: list[str] = []
    for name, key in (
        ("kho_collector_up", "healthy"),
        ("kho_collector_broker_connected", "broker_connected"),
        ("kho_collector_influx_reachable", "influx_reachable"),
    ):
        out += [f"# TYPE {name} gauge", f"{name} {1 if h.get(key) else 0}"]
    for key, name, typ, help_ in _METRICS:
        if key in h:
            out += [f"# HELP {name} {help_}", f"# TYPE {name} {typ}", f"{name} {h[key]}"]
    out += ["# HELP kho_collector_rejects_total Rejects by reason", "# TYPE kho_collector_rejects_total counter"]
    for reason, n in sorted(h.get("rejects_by_reason", {}).items()):
        out.append(f'kho_collector_rejects_total{{reason="{reason}"}} {n}')
    return "\n".join(out) + "\n"


@router.get("/metrics")
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics of the collector (503 when no collector runs in this process)."""
    c = _collector(request)
    if c is None:
        return PlainTextResponse("# " + str(_NOT_RUNNING["error"]) + "\n", status_code=503)
    return PlainTextResponse(prometheus_text(c.health()), media_type="text/plain; version=0.0.4")


def health_app(collector: HasHealth) -> FastAPI:
    """A tiny app serving only ``/healthz`` and ``/metrics`` for ``collector``."""
    app = FastAPI(title="kho collector", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.collector = collector
    app.include_router(router)
    return app


class HealthServer:
    """uvicorn serving :func:`health_app` on a background thread."""

    def __init__(self, collector: HasHealth, host: str, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(
            health_app(collector), host=host, port=port, log_level="warning", access_log=False, lifespan="off"
        )
        # Run on a non-main thread, uvicorn leaves signal handling to the CLI.
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="kho-health", daemon=True)

    def start(self, timeout_s: float = 10.0) -> bool:
        """Start serving; False when the port could not be bound within ``timeout_s``."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._thread.is_alive():
            if self.server.started:
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self._thread.join(5)
