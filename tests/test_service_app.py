"""The app as `kho serve` runs it: the room page shows the climate from the real influxd, the cleaning
scheduler runs with the app, and overdue cleaning is routed through the alert channels."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from alerts.cleaning_notice import OverdueCleaningNotifier
from collector.influx import InfluxClient
from collector.latest import LatestClimate
from collector.settings import InfluxSettings
from inventory import auth, registry
from inventory.db import make_engine, make_sessionmaker, session_scope
from kho import db as kho_db
from kho.app import create_service_app
from kho.localservers import InfluxServer
from kho.settings import load_settings
from tests.inventory.conftest import login_csrf


def test_service_app_wires_climate_scheduler_and_overdue_notifier(
    influxd: InfluxServer,
    influx_db_name: str,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    kho_db.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with session_scope(make_sessionmaker(engine)) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        room_id = registry.create_room(s, "HN", "P1", "Phòng 1").id
        auth.create_user(s, "quanly", "mat-khau-dai-1", "manager")
    engine.dispose()
    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    client = InfluxClient(influx)
    client.ensure_database()
    client.write_lines(
        b"climate,site=HN,room=P1,device=n1 temperature_c=23.7,humidity_pct=61.5,smoke=0 %d\n" % int(time.time() * 1000)
    )
    client.close()
    settings = load_settings(
        state_dir=tmp_path / "state",
        database={"url": sqlite_url},
        influx={"url": influxd.url, "database": influx_db_name},
    )
    app = create_service_app(settings)
    assert isinstance(app.state.climate_provider, LatestClimate)
    assert isinstance(app.state.overdue_notifier, OverdueCleaningNotifier)
    assert not app.state.cleaning_scheduler.running
    with TestClient(app) as c:
        assert app.state.cleaning_scheduler.running
        r = c.post(
            "/login",
            data={"username": "quanly", "password": "mat-khau-dai-1", "next": "/", "csrf": login_csrf(c)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        page = c.get(f"/room/{room_id}").text
        assert "23.7 °C" in page and "62 %" in page  # RH is shown to the whole percent
    assert not app.state.cleaning_scheduler.running
