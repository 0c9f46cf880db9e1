"""What kho writes under its state directory is for its own user only (0600 files, 0700 folders), and a start
finds and reports wider modes."""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.service import Collector
from collector.settings import InfluxSettings
from inventory.db import make_engine
from kho.app import create_app
from kho.filemodes import wide_modes
from kho.localservers import InfluxServer, ManagedServer
from kho.settings import Settings
from tests.inventory.conftest import World, csrf_of, tiny_image

Client = Callable[..., TestClient]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_registry_secret_key_and_photos_are_private(
    tmp_path: Path, make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    # The default SQLite registry in a new state dir, and its WAL.
    state = tmp_path / "fresh-state"
    settings = Settings(state_dir=state)
    app = create_app(settings)
    with app.state.engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        conn.commit()
        assert _mode(state) == 0o700
        assert _mode(state / "kho.db") == 0o600
        assert _mode(state / "kho.db-wal") == 0o600 and _mode(state / "kho.db-shm") == 0o600
    assert _mode(state / "secret_key") == 0o600
    app.state.engine.dispose()
    # A damage photo, through the page.
    photo_state = tmp_path / "photo-state"
    keeper = client_of(make_app(state_dir=photo_state), "keeper")
    box = world.box_ids["P12-ML3-H001"]
    r = keeper.post(
        f"/box/{box}/damage",
        data={"csrf": csrf_of(keeper), "kind": "water"},
        files={"photo": ("p.jpg", tiny_image("JPEG"), "image/jpeg")},
    )
    assert r.status_code == 303
    photos = [p for p in (photo_state / "photos").rglob("*") if p.is_file()]
    assert len(photos) == 1 and _mode(photos[0]) == 0o600
    assert _mode(photo_state / "photos") == 0o700 and _mode(photos[0].parent) == 0o700
    assert wide_modes(photo_state) == []


def test_spool_and_dead_letters_are_private(
    tmp_path: Path, mosquitto: ManagedServer, influxd: InfluxServer, influx_db_name: str, sqlite_sessions: object
) -> None:
    from collector.settings import MqttSettings
    from tests.conftest import fast_cfg

    state = tmp_path / "collector"
    c = Collector(
        MqttSettings(port=mosquitto.port, client_id=f"col-modes-{time.time_ns()}"),
        InfluxSettings(url=influxd.url, database=influx_db_name),
        fast_cfg(),
        sqlite_sessions,  # type: ignore[arg-type]
        state,
    )
    c.start()
    try:
        assert _mode(state) == 0o700
        for name in ("spool.db", "deadletter.db"):
            assert _mode(state / name) == 0o600, name
        assert wide_modes(state) == []
    finally:
        c.stop()


def test_start_warns_about_wide_modes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "old-state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    db = state / "kho.db"
    make_engine(f"sqlite:///{db}").dispose()
    db.chmod(0o644)
    (state / "photos").mkdir()
    (state / "photos" / "a.jpg").write_bytes(b"x")
    (state / "photos" / "a.jpg").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="kho.filemodes"):
        app = create_app(Settings(state_dir=state))
    app.state.engine.dispose()
    warned = "\n".join(r.getMessage() for r in caplog.records)
    assert f"{db} is readable by other users (mode 0644)" in warned and f"chmod 0600 {db}" in warned
    assert f"{state} is readable by other users (mode 0755)" in warned
    assert "a.jpg is readable by other users" in warned
    assert (state / "secret_key").exists() and _mode(state / "secret_key") == 0o600


def test_demo_files_are_private_and_servers_dirs_are_theirs(tmp_path: Path) -> None:
    from kho.cli.demo_cmd import choose_ports

    state = tmp_path / "demo-state"
    state.mkdir(mode=0o700)
    state.chmod(0o700)
    choose_ports(state, 18080)
    assert _mode(state / "demo-ports.json") == 0o600
    (state / "mosquitto" / "data").mkdir(parents=True)
    (state / "mosquitto").chmod(0o755)
    broker = state / "broker"
    broker.mkdir(mode=0o750)
    broker.chmod(0o750)
    (broker / "passwd").write_text("n1:x\n")
    (broker / "passwd").chmod(0o640)
    assert wide_modes(state) == [], "the demo servers' folders and the broker files keep their modes"
    (broker / "passwd").chmod(0o644)
    assert wide_modes(state) == [(broker / "passwd", 0o644)]
