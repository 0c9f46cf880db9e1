"""Wall display fixtures: site QT with a paper and a photo room and a node in each, users, the app served by
uvicorn, a wall link; real Mosquitto, influxd (its own, so a test may stop it) and collector."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from collector.influx import InfluxClient
from collector.settings import InfluxSettings
from dashboards.wall import links
from inventory import auth, registry
from inventory.db import session_scope
from kho.app import create_app
from kho.asgi_thread import ThreadedServer
from kho.localservers import InfluxServer, free_port
from kho.settings import Settings
from tests.inventory.conftest import PASSWORD, fast_password_hashing  # noqa: F401 (autouse fixture)


@dataclass
class Wall:
    url: str  # the app's base URL
    app: FastAPI
    sessions: sessionmaker[Session]
    influx: InfluxSettings
    influxd: InfluxServer
    secret: str  # a wall link for site QT
    paper_id: int
    photo_id: int


def seed(sessions: sessionmaker[Session]) -> tuple[int, int, str]:
    """Site QT (rooms P1 paper, F1 photo; nodes qt-p1 with smoke, qt-f1), site HN (room K1), users, a wall link."""
    since = datetime.fromtimestamp(time.time() - 86400, UTC)
    with session_scope(sessions) as s:
        registry.create_site(s, "QT", "Kho lưu trữ tỉnh Quảng Trị")
        paper = registry.create_room(s, "QT", "P1", "Kho giấy 1")
        photo = registry.create_room(s, "QT", "F1", "Kho ảnh, phim", "photo")
        registry.create_site(s, "HN", "Kho Hà Nội")
        registry.create_room(s, "HN", "K1", "Phòng kho 1")
        registry.add_device(s, "qt-p1", "native", "QT", "P1", has_smoke=True, since=since)
        registry.add_device(s, "qt-f1", "native", "QT", "F1", since=since)
        for role in ("viewer", "keeper", "manager", "admin"):
            auth.create_user(s, role, PASSWORD, role, display_name=role.title())
        _link, secret = links.create_link(s, "Màn hình phòng bảo vệ", "QT", "admin")
        return paper.id, photo.id, secret


@pytest.fixture
def wall(
    sqlite_url: str,
    sqlite_sessions: sessionmaker[Session],
    make_influxd: Callable[[], InfluxServer],
    influx_db_name: str,
    tmp_path: Path,
) -> Iterator[Wall]:
    influxd = make_influxd()
    influx = InfluxSettings(url=influxd.url, database=influx_db_name, timeout_s=2.0)
    client = InfluxClient(influx)
    client.ensure_database()
    client.close()
    paper_id, photo_id, secret = seed(sqlite_sessions)
    settings = Settings(
        state_dir=tmp_path / "state",
        database={"url": sqlite_url},
        web={"secret_key": "test-secret-key-0123456789", "stale_after_s": 60},
        influx={"url": influxd.url, "database": influx_db_name},
        wall={"poll_interval_s": 0.5, "influx_timeout_s": 1.0},
        alerts={"webhook": {"allow_private": True}},  # the test's webhook receiver listens on 127.0.0.1
    )
    app = create_app(settings)
    srv = ThreadedServer(app, "127.0.0.1", free_port(), lifespan="off")
    assert srv.start(20), "uvicorn did not start"
    yield Wall(srv.url, app, sqlite_sessions, influx, influxd, secret, paper_id, photo_id)
    srv.stop()
    app.state.engine.dispose()
