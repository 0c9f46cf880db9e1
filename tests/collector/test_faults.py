"""Fault tests counting exactly: InfluxDB outage, broker restart, collector SIGKILL, shared subscription."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from collector.service import Collector
from collector.settings import InfluxSettings
from inventory.db import make_engine, make_sessionmaker
from kho import db as kho_db
from kho.localservers import InfluxServer, ManagedServer, free_port

from .conftest import Publisher, count_points, let_time_pass, setup_registry, wait_for

MakeCollector = Callable[..., Collector]


def _payload(i: int, t0: int) -> bytes:
    return b'{"ts":%d,"seq":%d,"temperature_c":%.2f,"humidity_pct":50.0}' % (t0 + i, i, 15 + (i % 100) / 10)


def _publish_range(pub: Publisher, start: int, stop: int, t0: int, pause_every: int = 0, pause_s: float = 0.0) -> None:
    for i in range(start, stop):
        pub.publish("kho/n1/telemetry", _payload(i, t0))
        if pause_every and i % pause_every == 0:
            time.sleep(pause_s)  # the publishing pace: the stream lasts long enough for the fault to hit it


@pytest.mark.slow
def test_influx_down_30s_spools_and_replays_all(
    mosquitto: ManagedServer,
    make_influxd: Callable[[], InfluxServer],
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    srv = make_influxd()
    influx = InfluxSettings(url=srv.url, database="outage")
    c = make_collector(mosquitto.port, influx, registry_sessions)
    n = 20_000
    t0 = int(time.time() * 1000) - n - 1000
    _publish_range(publisher, 0, 1000, t0)
    publisher.wait_acked(1000)
    assert c.wait_idle(30)
    srv.stop()
    down_at = time.monotonic()
    _publish_range(publisher, 1000, n, t0, pause_every=1000, pause_s=0.5)
    publisher.wait_acked(n, 120)
    wait_for(lambda: c.health()["spool_depth"] >= n - 1000 - 10, 60, "readings were not spooled")
    h = c.health()
    assert not h["influx_reachable"] and h["spool_bytes"] > 0
    let_time_pass(max(0.0, 30 - (time.monotonic() - down_at)), "InfluxDB stays down for 30 s")
    srv.start()
    assert c.wait_idle(120), c.health()
    assert c.health()["spool_depth"] == 0 and c.health()["influx_reachable"]
    assert count_points(influx) == n
    assert c.health()["received_total"] == n


@pytest.mark.slow
def test_broker_restart_mid_stream_loses_nothing(
    make_mosquitto: Callable[..., ManagedServer],
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: MakeCollector,
) -> None:
    broker = make_mosquitto()
    c = make_collector(broker.port, influx_settings, registry_sessions, client_id="restart-col")
    pub = Publisher(broker.port, client_id=f"pub-{uuid.uuid4().hex[:6]}", persistent=True)
    n = 10_000
    t0 = int(time.time() * 1000) - n - 1000
    try:
        th = threading.Thread(target=_publish_range, args=(pub, 0, n, t0, 500, 0.1))
        th.start()
        wait_for(lambda: c.health()["received_total"] >= 1000, 30, "the collector received nothing before the restart")
        assert th.is_alive(), "publishing finished before the restart"
        broker.restart()
        th.join(120)
        pub.wait_acked(n, 120)
        wait_for(lambda: c.health()["broker_connected"], 30, "collector did not reconnect")
        wait_for(lambda: count_points(influx_settings) >= n, 90, lambda: f"only {count_points(influx_settings)} of {n}")
        assert c.wait_idle(30)
        assert count_points(influx_settings) == n
        # The broker must have persisted its sessions (a private broker once could not write its state dir).
        assert "Error saving" not in broker.log_path.read_text()
    finally:
        pub.close()


@pytest.mark.slow
def test_sigkill_mid_stream_then_restart_no_loss_no_duplicates(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    env = _collect_env(tmp_path, sqlite_url, mosquitto.port, influx_settings, alerts=True)
    log = tmp_path / "collect.log"
    proc = _spawn_collect(env, log)
    pub = Publisher(mosquitto.port)
    n = 15_000
    t0 = int(time.time() * 1000) - n - 1000
    try:
        th = threading.Thread(target=_publish_range, args=(pub, 0, n, t0, 500, 0.05))
        th.start()
        wait_for(lambda: count_points(influx_settings) >= 3000, 60, "nothing landed before the kill")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        landed_at_kill = count_points(influx_settings)
        th.join(120)
        pub.wait_acked(n, 120)
        assert landed_at_kill < n, "the kill came too late to test anything"
        proc = _spawn_collect(env, log)
        wait_for(
            lambda: count_points(influx_settings) >= n,
            120,
            lambda: f"only {count_points(influx_settings)} of {n} after restart:\n{log.read_text()[-3000:]}",
        )
        let_time_pass(1.5, "redeliveries of unacknowledged messages would land now: on the same points")
        assert count_points(influx_settings) == n
        seqs = count_points(influx_settings, field="humidity_pct")
        assert seqs == n
    finally:
        pub.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert proc.returncode == 0, log.read_text()[-3000:]
    assert "stopped" in log.read_text()


def _collect_env(
    tmp_path: Path, sqlite_url: str, mq_port: int, influx: InfluxSettings, alerts: bool = False
) -> dict[str, str]:
    """Environment of a ``kho collect`` subprocess on a fresh registry (the alert engine off unless ``alerts``)."""
    kho_db.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    setup_registry(make_sessionmaker(engine))
    engine.dispose()
    env = dict(os.environ)
    env.update(
        {
            "KHO_STATE_DIR": str(tmp_path / "state"),
            "KHO_DATABASE__URL": sqlite_url,
            "KHO_MQTT__PORT": str(mq_port),
            "KHO_MQTT__CLIENT_ID": f"kill-{uuid.uuid4().hex[:6]}",
            "KHO_INFLUX__URL": influx.url,
            "KHO_INFLUX__DATABASE": influx.database,
            "KHO_ALERTS__ENABLED": "true" if alerts else "false",
            "KHO_COLLECTOR__HEALTH_PORT": str(free_port()),
            "KHO_COLLECTOR__FLUSH_INTERVAL_S": "0.3",
        }
    )
    return env


def _spawn_collect(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``kho collect`` with ``env``, once it has started and subscribed (what is published now reaches it)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kho.cli import main; main()", "collect"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    starts = log.read_text().count("collector running") if log.exists() else 0
    wait_for(
        lambda: log.read_text().count("collector running") > starts or proc.poll() is not None,
        30,
        "kho collect did not start",
    )
    assert proc.poll() is None, log.read_text()[-3000:]
    _wait_subscribed(env, proc, log)
    return proc


def _wait_subscribed(env: dict[str, str], proc: subprocess.Popen[bytes], log: Path) -> None:
    """Publish a payload the collector rejects (no point, no reading) until its /healthz counts one more message.

    Before the subscription is acknowledged a message is lost (the publisher's session is clean): the first one
    counted proves it."""
    health = f"http://127.0.0.1:{env['KHO_COLLECTOR__HEALTH_PORT']}/healthz"
    probe = Publisher(int(env["KHO_MQTT__PORT"]))

    def received() -> tuple[int] | None:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            return (int(httpx.get(health, timeout=2).json()["received_total"]),)
        except httpx.HTTPError:
            return None

    try:
        (before,) = wait_for(received, 30, f"no /healthz at {health}")

        def counted() -> bool:
            probe.publish("kho/n1/telemetry", b"subscription probe")
            now = received()
            return now is not None and now[0] > before

        wait_for(counted, 30, lambda: f"kho collect did not subscribe:\n{log.read_text()[-3000:]}", interval_s=0.2)
    finally:
        probe.close()


@pytest.mark.slow
def test_spooled_readings_survive_sigkill(
    mosquitto: ManagedServer,
    make_influxd: Callable[[], InfluxServer],
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    """Acknowledged because spooled → the spool must survive a crash and be replayed by the next process."""
    srv = make_influxd()
    influx = InfluxSettings(url=srv.url, database="crash")
    env = _collect_env(tmp_path, sqlite_url, mosquitto.port, influx)
    log = tmp_path / "collect.log"
    proc = _spawn_collect(env, log)
    n = 3000
    t0 = int(time.time() * 1000) - n - 1000
    srv.stop()
    pub = Publisher(mosquitto.port)
    try:
        _publish_range(pub, 0, n, t0)
        pub.wait_acked(n)
        spool = tmp_path / "state" / "collector" / "spool.db"

        def spooled() -> int:
            import sqlite3

            with contextlib.closing(sqlite3.connect(spool)) as db:
                return int(db.execute("SELECT coalesce(sum(lines), 0) FROM batches").fetchone()[0])

        wait_for(lambda: spool.exists() and spooled() == n, 60, "readings were not spooled")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        srv.start()
        proc = _spawn_collect(env, log)
        wait_for(lambda: count_points(influx) >= n, 60, f"only {count_points(influx)} of {n} replayed")
        assert count_points(influx) == n and spooled() == 0
    finally:
        pub.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_shared_subscription_two_collectors_split_the_stream(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
    protocol: str,
) -> None:
    group = f"g{uuid.uuid4().hex[:6]}"
    a = make_collector(mosquitto.port, influx_settings, registry_sessions, shared_group=group, protocol=protocol)
    b = make_collector(mosquitto.port, influx_settings, registry_sessions, shared_group=group, protocol=protocol)
    n = 6000
    t0 = int(time.time() * 1000) - n - 1000
    _publish_range(publisher, 0, n, t0)
    publisher.wait_acked(n)
    wait_for(lambda: a.health()["readings_total"] + b.health()["readings_total"] >= n, 60, "readings missing")
    assert a.wait_idle(30) and b.wait_idle(30)
    ra, rb = a.health()["readings_total"], b.health()["readings_total"]
    assert ra + rb == n, (ra, rb)  # none doubled
    assert ra > n // 10 and rb > n // 10  # both took a share
    assert count_points(influx_settings) == n  # none lost


def test_start_while_influx_is_down(
    mosquitto: ManagedServer,
    make_influxd: Callable[[], InfluxServer],
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    srv = make_influxd()
    srv.stop()
    influx = InfluxSettings(url=srv.url, database="late")
    c = make_collector(mosquitto.port, influx, registry_sessions)
    h = c.health()
    assert not h["influx_reachable"] and not h["healthy"]
    t0 = int(time.time() * 1000) - 2000
    _publish_range(publisher, 0, 500, t0)
    publisher.wait_acked(500)
    wait_for(lambda: c.health()["spool_depth"] == 500, 20, "not spooled")
    srv.start()  # empty server: the database is created when the first replay hits "database not found"
    assert c.wait_idle(60), c.health()
    assert count_points(influx) == 500 and c.health()["healthy"]
