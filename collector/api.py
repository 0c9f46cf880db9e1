"""Health endpoints: ``GET /healthz`` (JSON) and ``GET /metrics`` (Prometheus text) of a running collector."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from collector.metrics import prometheus_text

log = logging.getLogger(__name__)

router = APIRouter(tags=["collector"])


class HasHealth(Protocol):
    """What the endpoints need of a collector: its health dict (the keys of ``collector.metrics``)."""

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
