"""The app as ``kho serve`` builds it gives the pages their climate history, alert periods and header count."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from alerts.periods import AlertPeriods
from collector.history import ClimateHistory, bucket_s, duration_s
from kho import db as kho_db
from kho.app import create_service_app
from kho.settings import load_settings


def test_service_app_wires_the_page_providers(sqlite_url: str, tmp_path: Path) -> None:
    kho_db.upgrade(sqlite_url)
    app = create_service_app(load_settings(state_dir=tmp_path / "state", database={"url": sqlite_url}))
    try:
        assert isinstance(app.state.history_provider, ClimateHistory)
        assert isinstance(app.state.alert_periods_provider, AlertPeriods)
        assert any(getattr(f, "__module__", "") == "alerts.pages" for f in app.state.page_context)
        # TestClient without "with": no lifespan, so the cleaning scheduler does not start
        c = TestClient(app, follow_redirects=False)
        for path in ("/wall", "/wall/QT", "/admin", "/alerts", "/admin/nodes/n1/firmware.zip", "/wall-links"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path  # mounted, guarded
        assert c.get("/api/docs").status_code == 200
        assert c.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not offered
    finally:
        app.state.engine.dispose()


def test_history_windows() -> None:
    assert duration_s("730d") == 730 * 86400 and duration_s("INF") is None and duration_s("168h") == 168 * 3600
    assert bucket_s(86400, hourly=False) == 600
    assert bucket_s(7 * 86400, hourly=False) == 3600
    assert bucket_s(30 * 86400, hourly=True) == 10800
    h = ClimateHistory.__new__(ClimateHistory)
    h.raw_retention_s = 3 * 86400
    now = 10_000 * 86400_000
    assert h.uses_hourly(now - 4 * 86400_000, now, 4 * 86400) and not h.uses_hourly(now - 86400_000, now, 86400)
