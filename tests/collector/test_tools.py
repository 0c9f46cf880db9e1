"""Spool, attribution on both SQL backends, the simulator and the CLI commands around the collector."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from collector.attribution import Attribution
from collector.service import Collector
from collector.settings import InfluxSettings, MqttSettings
from collector.simulator import Simulator
from collector.spool import Spool
from inventory import registry
from inventory.db import session_scope
from inventory.directory import load_directory
from kho.cli import app
from kho.localservers import ManagedServer, free_port
from kho.wiring import health_server

from .conftest import Recorder, count_points, query, setup_registry, wait_for


def test_spool_is_fifo_durable_and_capped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sp = Spool(tmp_path / "spool.db", max_bytes=1000)
    assert sp.append(b"a" * 400, 4) and sp.append(b"b" * 400, 4)
    with caplog.at_level(logging.WARNING):
        assert not sp.append(b"c" * 400, 4)
        assert not sp.append(b"c" * 400, 4)
    assert sum("spool" in r.message and "full" in r.message for r in caplog.records) == 1  # one clear warning
    sp.close()
    sp = Spool(tmp_path / "spool.db", max_bytes=1000)  # reopened: still there, in order
    assert (sp.entries, sp.depth, sp.bytes) == (2, 8, 800)
    head = sp.peek()
    assert head is not None and head[1] == b"a" * 400
    sp.delete(head[0])
    head = sp.peek()
    assert head is not None and head[1] == b"b" * 400 and sp.depth == 4
    assert sp.append(b"c" * 400, 4)
    sp.close()


def test_attribution_refreshes_on_registry_change(sessions: sessionmaker[Session]) -> None:
    """On SQLite and PostgreSQL: the snapshot follows registry_version; moves split by time."""
    setup_registry(sessions)
    att = Attribution(sessions)
    assert set(att.snapshot.devices) == {"n1", "e1", "t1"}
    assert not att.refresh()  # nothing changed
    moved = datetime.now(UTC) - timedelta(minutes=5)
    with session_scope(sessions) as s:
        registry.move_device(s, "n1", "HN", "P2", since=moved)
    assert att.refresh()
    dev = att.snapshot.devices["n1"]
    at_ms = int(moved.timestamp() * 1000)
    p_before, p_after = dev.placement_at(at_ms - 1), dev.placement_at(at_ms)
    assert p_before is not None and p_after is not None
    assert (p_before.room, p_after.room) == ("P1", "P2")
    assert att.snapshot.prefix("climate", dev, p_after) == "climate,device=n1,room=P2,site=HN "


def test_simulator_smoke_offline_bad_payloads(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: object,
) -> None:
    rec = Recorder()
    c: Collector = make_collector(mosquitto.port, influx_settings, registry_sessions, consumers=[rec])  # type: ignore[operator]
    with registry_sessions() as s:
        fleet = sorted(load_directory(s).devices.values(), key=lambda d: d.id)
    sim = Simulator(
        MqttSettings(port=mosquitto.port),
        fleet,
        rate_hz=10,
        bad_every=5,
        smoke_at={"n1": 0.5},
        offline={"e1": 1.0},
        humid_spell=True,
        client_prefix=f"sim{time.time_ns()}",
    )
    sim.start()
    try:
        wait_for(
            lambda: any(not e.online and e.device_id == "e1" and not e.retained for e in rec.statuses),
            15,
            "e1's last will did not arrive",
        )
        wait_for(lambda: any(r.smoke and r.device_id == "n1" for r in rec.readings), 10, "no smoke from n1")
        wait_for(
            lambda: (
                {e.device_id for e in rec.statuses if e.online} == {"n1", "e1", "t1"}
                and {r.device_id for r in rec.readings} >= {"n1", "e1", "t1"}
                and sim.bad_total >= 2
            ),
            10,
            lambda: f"not every node came online and sent readings, or too few bad payloads ({sim.bad_total})",
        )
    finally:
        sim.stop()
    assert c.wait_idle(20)
    h = c.health()
    assert {e.device_id for e in rec.statuses if e.online} == {"n1", "e1", "t1"}
    assert h["rejected_total"] >= sim.bad_total - 1 > 0
    assert set(h["rejects_by_reason"]) <= {"not_json", "not_finite", "out_of_range", "bad_type", "bad_timestamp"}
    q = 'SELECT count(temperature_c) FROM climate GROUP BY "device"'
    profiles = {r["device"] for r in query(influx_settings, q)}
    assert profiles == {"n1", "e1", "t1"}
    offline = query(influx_settings, "SELECT online FROM device_status WHERE device='e1'")
    assert [r["online"] for r in offline][-1] == 0.0
    assert all(10 <= r.fields.get("temperature_c", 20) <= 30 for r in rec.readings)
    # Clear retained statuses so later tests start clean.
    from .conftest import Publisher

    pub = Publisher(mosquitto.port)
    for t in ("kho/n1/status", "e1/status", "tele/t1/LWT"):
        pub.publish(t, b"", retain=True)
    pub.wait_acked(3)
    pub.close()


def test_publish_burst_lands_every_point(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: object,
) -> None:
    c: Collector = make_collector(mosquitto.port, influx_settings, registry_sessions)  # type: ignore[operator]
    with registry_sessions() as s:
        fleet = list(load_directory(s).devices.values())
    sim = Simulator(MqttSettings(port=mosquitto.port), fleet, client_prefix=f"burst{time.time_ns()}")
    assert sim.publish_burst(3000) == 3000
    wait_for(lambda: count_points(influx_settings) >= 3000, 30, "burst did not land")
    assert c.wait_idle(10) and count_points(influx_settings) == 3000


def test_status_and_deadletter_cli(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: object,
    tmp_path: Path,
) -> None:
    c: Collector = make_collector(mosquitto.port, influx_settings, registry_sessions)  # type: ignore[operator]
    port = free_port()
    server = health_server(c, "127.0.0.1", port)
    assert server.start()
    try:
        env = {"KHO_COLLECTOR__HEALTH_PORT": str(port), "KHO_STATE_DIR": str(tmp_path / "cli")}
        res = CliRunner().invoke(app, ["status", "--json"], env=env)
        assert res.exit_code == 0, res.output
        assert orjson.loads(res.output)["broker_connected"] is True
        res = CliRunner().invoke(app, ["status"], env=env)
        assert res.exit_code == 0 and "healthy" in res.output and "received_total" in res.output
    finally:
        server.stop()
    res = CliRunner().invoke(app, ["status"], env={"KHO_COLLECTOR__HEALTH_PORT": str(free_port())})
    assert res.exit_code == 1 and "kho collect" in res.output


def test_collect_refuses_unmigrated_database(tmp_path: Path) -> None:
    env = {"KHO_STATE_DIR": str(tmp_path), "KHO_DATABASE__URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    res = CliRunner().invoke(app, ["collect", "--no-health"], env=env)
    assert res.exit_code == 1 and "kho db upgrade" in res.output


def test_simulate_create_registers_demo_devices(
    sqlite_url: str, make_mosquitto: Callable[..., ManagedServer], tmp_path: Path
) -> None:
    from kho import db as kho_db

    kho_db.upgrade(sqlite_url)
    broker = make_mosquitto()  # its own: the simulated nodes leave retained statuses that the shared one would keep
    env = {"KHO_STATE_DIR": str(tmp_path), "KHO_DATABASE__URL": sqlite_url, "KHO_MQTT__PORT": str(broker.port)}
    res = CliRunner().invoke(app, ["simulate", "--create", "3", "--rate", "5", "--duration", "1"], env=env)
    assert res.exit_code == 0, res.output
    assert "published" in res.output
    res = CliRunner().invoke(app, ["devices", "list", "--json"], env=env)
    assert [d["id"] for d in orjson.loads(res.output)] == ["sim-001", "sim-002", "sim-003"]
    res = CliRunner().invoke(app, ["simulate", "--smoke-at", "nope@3", "--duration", "1"], env=env)
    assert res.exit_code == 1 and "not among" in res.output


def test_broker_credentials_and_no_secret_in_logs(
    make_mosquitto: object,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import subprocess
    import uuid

    from collector.settings import CollectorSettings

    pw = tmp_path / "passwd"
    pw.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "kho", "s3cret-pw"], check=True)
    broker: ManagedServer = make_mosquitto(anonymous=False, extra_conf=f"password_file {pw}\n")  # type: ignore[operator]
    cfg = CollectorSettings(flush_interval_s=0.2)
    with caplog.at_level(logging.INFO):
        bad = Collector(
            MqttSettings(
                port=broker.port,
                username="kho",
                password="wrong-pw",  # type: ignore[arg-type]
                client_id=f"a{uuid.uuid4().hex[:6]}",
            ),
            influx_settings,
            cfg,
            registry_sessions,
            tmp_path / "bad",
        )
        bad.start()
        wait_for(lambda: "refused" in caplog.text, 10, "the broker did not refuse the wrong password")
        assert not bad.health()["broker_connected"]
        bad.stop()
        good = Collector(
            MqttSettings(
                port=broker.port,
                username="kho",
                password="s3cret-pw",  # type: ignore[arg-type]
                client_id=f"b{uuid.uuid4().hex[:6]}",
            ),
            influx_settings,
            cfg,
            registry_sessions,
            tmp_path / "good",
        )
        good.start()
        try:
            wait_for(lambda: good.health()["broker_connected"], 10, "did not connect with valid credentials")
        finally:
            good.stop()
    text = caplog.text
    assert "refused" in text and "s3cret-pw" not in text and "wrong-pw" not in text
