"""End to end on real Mosquitto + influxd + SQLite: profiles, batches, rejects, moves, skew, status, consumers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from collector.api import health_app, router
from collector.deadletter import DeadLetterStore
from collector.influx import InfluxClient
from collector.reading import Reading, StatusEvent
from collector.service import Collector
from collector.settings import InfluxSettings
from inventory import registry
from inventory.db import session_scope
from kho.localservers import ManagedServer

from .conftest import Publisher, Recorder, count_points, let_time_pass, publish_series, query, wait_for

MakeCollector = Callable[..., Collector]


class Exploding:
    calls = 0

    def on_readings(self, readings: Sequence[Reading]) -> None:
        self.calls += 1
        raise RuntimeError("consumer bug")

    def on_status(self, event: StatusEvent) -> None:
        raise RuntimeError("consumer bug")

    def backlog(self) -> int:
        return 0


def _now() -> float:
    return time.time()


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_each_profile_end_to_end(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
    protocol: str,
) -> None:
    rec = Recorder()
    c = make_collector(mosquitto.port, influx_settings, registry_sessions, consumers=[rec], protocol=protocol)
    ts = round(_now() - 5, 3)
    publisher.publish(
        "kho/n1/telemetry",
        orjson.dumps(
            {"ts": ts, "seq": 1, "temperature_c": 20.0, "humidity_pct": 50.0, "smoke": False, "battery_v": 3.9}
        ),
    )
    publisher.publish("e1/sensor/temperature/state", "21.5")
    publisher.publish("e1/sensor/humidity/state", "60.0")
    publisher.publish("e1/binary_sensor/smoke/state", "ON")
    publisher.publish(
        "tele/t1/SENSOR",
        orjson.dumps(
            {
                "Time": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
                "SHT3X": {"Temperature": 18.5, "Humidity": 40.0},
                "TempUnit": "C",
            }
        ),
    )
    publisher.wait_acked(5)
    assert c.wait_idle(20)
    rows = {
        r["device"]: r for r in query(influx_settings, 'SELECT last(*) FROM climate GROUP BY "device", "room", "site"')
    }
    assert rows["n1"]["last_temperature_c"] == 20.0 and rows["n1"]["last_smoke"] == 0.0
    assert rows["n1"]["last_dew_point_c"] == 9.26 and rows["n1"]["room"] == "P1" and rows["n1"]["site"] == "HN"
    n1 = query(influx_settings, "SELECT temperature_c FROM climate WHERE device='n1'")
    assert n1[0]["time"] == int(ts * 1000)  # the device's own timestamp
    assert rows["e1"]["last_temperature_c"] == 21.5 and rows["e1"]["last_humidity_pct"] == 60.0
    assert rows["e1"]["last_smoke"] == 1.0 and rows["e1"]["last_dew_point_c"] is not None  # paired T+RH
    assert rows["t1"]["last_temperature_c"] == 18.5 and rows["t1"]["room"] == "P2"
    assert {r.device_id for r in rec.readings} == {"n1", "e1", "t1"}
    smoke = [r for r in rec.readings if r.smoke]
    assert smoke and smoke[0].device_id == "e1" and smoke[0].room == "P1"
    h = c.health()
    assert h["readings_total"] == 5 and h["written_total"] == 5 and h["rejected_total"] == 0


def test_batch_array_keeps_buffered_times(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions)
    base = int(_now()) - 3600  # buffered an hour ago, older than the skew window
    batch = [{"ts": base + 60 * i, "seq": i, "temperature_c": 20 + i, "humidity_pct": 50} for i in range(10)]
    batch[4]["humidity_pct"] = 140  # one broken element
    publisher.publish("kho/n1/telemetry", orjson.dumps(batch))
    publisher.wait_acked(1)
    assert c.wait_idle(20)
    rows = query(influx_settings, "SELECT temperature_c FROM climate WHERE device='n1'")
    assert [r["time"] for r in rows] == [(base + 60 * i) * 1000 for i in range(10) if i != 4]
    assert c.health()["rejects_by_reason"] == {"out_of_range": 1}
    assert c.health()["clock_skew_total"] == 0


BAD = [
    ("kho/n1/telemetry", b"{temperature", "not_json"),
    ("kho/n1/telemetry", b'{"temperature_c": "warm"}', "bad_type"),
    ("kho/n1/telemetry", b'{"temperature_c": NaN}', "not_finite"),
    ("kho/n1/telemetry", b'{"temperature_c": 20, "humidity_pct": 101}', "out_of_range"),
    ("kho/n1/telemetry", b'{"temperature_c": -60}', "out_of_range"),
    ("kho/ghost/telemetry", b'{"temperature_c": 20}', "unknown_device"),
    ("kho/n1/telemetry", b'{"temperature_c": 20, "pad": "' + b"x" * 2000 + b'"}', "oversized"),
    ("tele/e1/SENSOR", b'{"SHT3X": {"Temperature": 20}}', "unknown_topic"),
    ("kho/n1/telemetry", b'{"ts": "not a time", "temperature_c": 20}', "bad_timestamp"),
    ("kho/n1/status", b"asleep", "bad_status"),
    ("kho/n1/telemetry", b'{"seq": 4}', "empty"),
]


def test_every_reject_reason_counted_and_dead_lettered(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    c = make_collector(
        mosquitto.port, influx_settings, registry_sessions, max_payload_bytes=1000, state_dir=state / "collector"
    )
    for topic, payload, _ in BAD:
        publisher.publish(topic, payload)
    publisher.publish("kho/n1/telemetry", b'{"temperature_c": 20.5}')  # the stream goes on
    publisher.wait_acked(len(BAD) + 1)
    assert c.wait_idle(20)
    h = c.health()
    expected: dict[str, int] = {}
    for _, _, reason in BAD:
        expected[reason] = expected.get(reason, 0) + 1
    assert h["rejects_by_reason"] == expected
    assert h["rejected_total"] == len(BAD) and h["deadletter_count"] == len(BAD)
    assert count_points(influx_settings) == 1
    letters = c.deadletters.list(limit=100) if c.deadletters else []
    assert {d.reason for d in letters} == set(expected)
    ghost = next(d for d in letters if d.reason == "unknown_device")
    assert ghost.topic == "kho/ghost/telemetry" and ghost.device_id == "ghost"

    from kho.cli import app

    env = {"KHO_STATE_DIR": str(state), "KHO_DATABASE__URL": str(registry_sessions.kw["bind"].url)}
    res = CliRunner().invoke(app, ["deadletter", "list", "--reason", "out_of_range", "--json"], env=env)
    assert res.exit_code == 0, res.output
    listed = orjson.loads(res.output)
    assert len(listed) == 2 and all(d["reason"] == "out_of_range" for d in listed)
    res = CliRunner().invoke(app, ["deadletter", "list", "--limit", "3"], env=env)
    assert res.exit_code == 0 and "stored by reason" in res.output


def test_deadletter_store_is_bounded(tmp_path: Path) -> None:
    from collector.deadletter import DeadLetter

    store = DeadLetterStore(tmp_path / "dl.db", max_items=50)
    for i in range(4):
        store.add_many(DeadLetter(i, "not_json", "n1", "t", f"#{i}-{j}", b"x") for j in range(30))
    assert store.count == 50 and len(store.list(limit=1000)) == 50
    assert store.list(limit=1)[0].detail == "#3-29"  # newest kept


def test_moved_device_attributed_by_reading_time(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions)
    moved_at = _now() - 60
    with session_scope(registry_sessions) as s:
        registry.move_device(s, "n1", "HN", "P2", since=datetime.fromtimestamp(moved_at, UTC))
    v0 = c.health()["registry_version"]
    wait_for(lambda: c.health()["registry_version"] > v0, 10, "collector did not pick up the registry change")
    for i, ts in enumerate((moved_at - 30, moved_at + 30)):
        publisher.publish("kho/n1/telemetry", orjson.dumps({"ts": ts, "seq": i, "temperature_c": 20 + i}))
    publisher.wait_acked(2)
    assert c.wait_idle(20)
    rows = query(influx_settings, "SELECT temperature_c, room FROM climate WHERE device='n1'")
    assert [(r["room"], r["temperature_c"]) for r in rows] == [("P1", 20.0), ("P2", 21.0)]


def test_new_device_picked_up_without_restart(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions, registry_refresh_s=60)
    with session_scope(registry_sessions) as s:
        registry.add_device(s, "n2", "native", "HN", "P1")
    publisher.publish("kho/n2/telemetry", b'{"temperature_c": 19.0}')
    publisher.wait_acked(1)
    assert c.wait_idle(20)
    assert count_points(influx_settings, where="device='n2'") == 1
    assert c.health()["rejected_total"] == 0


def test_skewed_clock_uses_receive_time(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions)
    before = int(_now() * 1000)
    local_as_utc = _now() + 7 * 3600  # Vietnam local time stamped as UTC
    publisher.publish("kho/n1/telemetry", orjson.dumps({"ts": local_as_utc, "temperature_c": 22.0}))
    publisher.publish("kho/n1/telemetry", orjson.dumps({"ts": _now() - 86400 * 3, "temperature_c": 23.0}))
    publisher.wait_acked(2)
    assert c.wait_idle(20)
    after = int(_now() * 1000)
    rows = query(influx_settings, "SELECT temperature_c FROM climate WHERE device='n1'")
    assert len(rows) == 2 and all(before <= r["time"] <= after for r in rows)
    assert c.health()["clock_skew_total"] == 2 and c.health()["rejected_total"] == 0


def test_retained_status_is_flagged_and_not_rewritten(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    publisher.publish("tele/t1/LWT", "Offline", retain=True)
    publisher.wait_acked(1)
    rec = Recorder()
    try:
        c = make_collector(mosquitto.port, influx_settings, registry_sessions, consumers=[rec])
        wait_for(lambda: rec.statuses, 10, "retained status not delivered")
        assert [(e.device_id, e.online, e.retained, e.room) for e in rec.statuses] == [("t1", False, True, "P2")]
        publisher.publish("tele/t1/LWT", "Online", retain=True)
        publisher.wait_acked(2)
        wait_for(lambda: len(rec.statuses) == 2, 10, "live status not delivered")
        assert rec.statuses[1].online and not rec.statuses[1].retained
        assert c.wait_idle(20)
        rows = query(influx_settings, "SELECT online FROM device_status WHERE device='t1'")
        assert [r["online"] for r in rows] == [1.0]  # the replay of the past is not written again
    finally:
        publisher.publish("tele/t1/LWT", b"", retain=True)  # clear the retained message for other tests
        publisher.wait_acked(3)


def test_retained_values_without_time_are_not_replayed_as_new(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    publisher.publish("e1/sensor/temperature/state", "19.0", retain=True)  # ESPHome retains its states
    publisher.wait_acked(1)
    try:
        c = make_collector(mosquitto.port, influx_settings, registry_sessions)
        wait_for(lambda: c.health()["retained_skipped_total"] == 1, 10, "retained state not seen")
        publisher.publish("e1/sensor/temperature/state", "19.5", retain=True)  # live: kept
        publisher.wait_acked(2)
        assert c.wait_idle(20)
        assert [r["temperature_c"] for r in query(influx_settings, "SELECT temperature_c FROM climate")] == [19.5]
    finally:
        publisher.publish("e1/sensor/temperature/state", b"", retain=True)
        publisher.wait_acked(3)


def test_failing_consumer_does_not_stop_ingestion(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    bad, rec = Exploding(), Recorder()
    c = make_collector(mosquitto.port, influx_settings, registry_sessions, consumers=[bad])
    c.add_consumer(rec)
    t0 = int(_now() * 1000) - 10_000
    publish_series(publisher, 200, t0)
    publisher.publish("kho/n1/status", "online")
    publisher.wait_acked(201)
    assert c.wait_idle(20)
    assert count_points(influx_settings) == 200
    assert len(rec.readings) == 200 and len(rec.statuses) == 1
    assert bad.calls >= 1 and c.health()["consumer_errors_total"] >= 1


def test_influx_refused_lines_are_dead_lettered(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions, flush_interval_s=1.0)
    # Someone else wrote battery_v as an integer: our float lines for it conflict (HTTP 400 partial write).
    t0 = int(_now() * 1000) - 10_000
    client = InfluxClient(influx_settings)  # same shard as our points: field types are per shard
    client.write_lines(b"climate,device=x,room=P1,site=HN battery_v=4i %d" % (t0 - 1))
    client.close()
    for i in range(50):
        doc = {"ts": t0 + i, "seq": i, "temperature_c": 20.0}
        if i == 25:
            doc["battery_v"] = 3.7
        publisher.publish("kho/n1/telemetry", orjson.dumps(doc))
    publisher.wait_acked(50)
    assert c.wait_idle(30)
    assert count_points(influx_settings, where="device='n1'") == 49  # InfluxDB drops the whole point
    letters = c.deadletters.list("influx_rejected") if c.deadletters else []
    assert len(letters) == 1 and b"battery_v=3.7" in letters[0].payload and letters[0].device_id == "n1"
    assert c.health()["influx_rejected_total"] == 1


def test_health_endpoints(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: MakeCollector,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions)
    with TestClient(health_app(c)) as http:
        r = http.get("/healthz")
        assert r.status_code == 200 and r.json()["broker_connected"] is True
        assert set(r.json()) >= {
            "influx_reachable",
            "spool_depth",
            "rejects_by_reason",
            "readings_per_s",
            "received_total",
            "written_total",
            "deadletter_count",
            "uptime_s",
        }
        m = http.get("/metrics")
        assert m.status_code == 200 and "kho_collector_up 1" in m.text
        assert "kho_collector_lines_written_total" in m.text
    bare = FastAPI()
    bare.include_router(router)
    with TestClient(bare) as http:
        r = http.get("/healthz")
        assert r.status_code == 503 and "kho collect" in r.json()["error"]
        assert http.get("/metrics").status_code == 503


def test_database_and_downsampling_created(influx_settings: InfluxSettings) -> None:
    client = InfluxClient(influx_settings)
    db = influx_settings.database
    try:
        client.ensure_database()
        client.ensure_database()  # idempotent
        rps = {v[0]: v for s in client.query("SHOW RETENTION POLICIES") for v in s["values"]}
        assert rps["raw"][-1] is True and "forever" in rps
        cqs = {
            v[0]: v[1] for s in client.query("SHOW CONTINUOUS QUERIES") for v in s.get("values", []) if s["name"] == db
        }
        assert list(cqs) == ["climate_1h"]
        # What the continuous query does each hour, run by hand over two past hours.
        hour = (int(time.time()) // 3600 - 3) * 3600 * 1000
        client.write_lines(
            b"\n".join(
                b"climate,device=n1,room=P1,site=HN temperature_c=%d,humidity_pct=50 %d"
                % (20 + i % 2, hour + i * 600_000)
                for i in range(12)
            )
        )
        select = cqs["climate_1h"].split(" BEGIN ", 1)[1].rsplit(" END", 1)[0]
        client.query(select.replace("GROUP BY", f"WHERE time >= {hour}ms GROUP BY"))
        rows = client.query('SELECT mean_temperature_c, room FROM "forever"."climate_1h"')
        assert [v[1:] for v in rows[0]["values"]] == [[20.5, "P1"], [20.5, "P1"]]
    finally:
        client.close()


def test_existing_data_keeps_its_default_policy(influx_settings: InfluxSettings) -> None:
    client = InfluxClient(influx_settings)
    try:
        client._query_results(f'CREATE DATABASE "{influx_settings.database}"', db="", post=True)
        client.write_lines(b"climate,device=old temperature_c=20 %d" % (int(time.time()) * 1000))
        client.ensure_database()
        rps = {v[0]: v[-1] for s in client.query("SHOW RETENTION POLICIES") for v in s["values"]}
        assert rps["autogen"] is True and "raw" not in rps and "forever" in rps
        assert count_points(influx_settings) == 1
    finally:
        client.close()


def test_rejects_logged_once_per_device_per_minute(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = make_collector(mosquitto.port, influx_settings, registry_sessions)
    with caplog.at_level("WARNING", logger="collector.service"):
        for _ in range(30):
            publisher.publish("kho/n1/telemetry", b"garbage")
            publisher.publish("tele/t1/SENSOR", b"garbage")
        publisher.wait_acked(60)
        assert c.wait_idle(20)
    assert c.health()["rejects_by_reason"] == {"not_json": 60}
    logged = [r.getMessage() for r in caplog.records if "rejected not_json" in r.getMessage()]
    assert len(logged) == 2 and {m.split(" from ")[1].split(":")[0] for m in logged} == {"n1", "t1"}


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_every_message_is_acknowledged(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
    protocol: str,
) -> None:
    """After a clean stop the broker has nothing left to redeliver to our session (bulk PUBACKs work)."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    c = make_collector(mosquitto.port, influx_settings, registry_sessions, protocol=protocol)
    t0 = int(_now() * 1000) - 10_000
    for i in range(3000):
        publisher.publish("kho/n1/telemetry", b'{"ts":%d,"temperature_c":20}' % (t0 + i))
    publisher.publish("kho/n1/telemetry", b"not json")
    publisher.wait_acked(3001)
    assert c.wait_idle(30)
    c.stop()
    assert count_points(influx_settings) == 3000
    redelivered: list[bytes] = []
    if protocol == "5":
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        probe = paho.Client(CallbackAPIVersion.VERSION2, client_id=c.mqtt_settings.client_id, protocol=paho.MQTTv5)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 60
        probe.on_message = lambda cl, ud, m: redelivered.append(m.payload)
        probe.connect("127.0.0.1", mosquitto.port, 10, clean_start=False, properties=props)
    else:
        probe = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=c.mqtt_settings.client_id,
            protocol=paho.MQTTv311,
            clean_session=False,
        )
        probe.on_message = lambda cl, ud, m: redelivered.append(m.payload)
        probe.connect("127.0.0.1", mosquitto.port, 10)
    probe.loop_start()
    let_time_pass(1.5, "the broker would redeliver what the collector left unacknowledged now")
    probe.disconnect()
    probe.loop_stop()
    assert redelivered == []


class SlowConsumer(Recorder):
    """Takes readings onto a queue that a thread of its own works off at ``per_s`` readings a second."""

    def __init__(self, per_s: float) -> None:
        super().__init__()
        self.queued = 0
        self.done = 0
        self.max_backlog = 0
        self.per_s = per_s
        self.stuck = per_s <= 0
        self._stop = False
        if not self.stuck:
            threading.Thread(target=self._work, daemon=True).start()

    def on_readings(self, readings: Sequence[Reading]) -> None:
        super().on_readings(readings)
        self.queued += len(readings)
        self.max_backlog = max(self.max_backlog, self.backlog())

    def backlog(self) -> int:
        return self.queued - self.done

    def _work(self) -> None:
        while not self._stop:
            time.sleep(0.01)  # the consumer's pace: per_s readings a second
            self.done = min(self.queued, self.done + int(self.per_s * 0.01))


def test_a_slow_consumer_slows_ingestion_instead_of_growing_without_bound(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    slow = SlowConsumer(per_s=4000)
    c = make_collector(
        mosquitto.port,
        influx_settings,
        registry_sessions,
        consumers=[slow],
        consumer_backlog_max=300,
        consumer_wait_max_s=30.0,
    )
    t0 = int(_now() * 1000) - 60_000
    publish_series(publisher, 3000, t0)
    publisher.wait_acked(3000)
    assert c.wait_idle(30)
    assert count_points(influx_settings) == 3000
    assert len(slow.readings) == 3000
    # the collector waited whenever the consumer was 300 behind: never more than one chunk beyond that
    assert slow.max_backlog <= 300 + 500, slow.max_backlog
    h = c.health()
    assert h["consumer_waits_total"] >= 1 and h["consumer_wait_s"] > 0


def test_a_stuck_consumer_does_not_stop_ingestion_and_smoke_never_waits(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    publisher: Publisher,
    make_collector: MakeCollector,
) -> None:
    stuck = SlowConsumer(per_s=0)
    c = make_collector(
        mosquitto.port,
        influx_settings,
        registry_sessions,
        consumers=[stuck],
        consumer_backlog_max=100,
        consumer_wait_max_s=0.3,
    )
    t0 = int(_now() * 1000) - 60_000
    publish_series(publisher, 1200, t0)
    publisher.wait_acked(1200)
    assert c.wait_idle(30)
    assert count_points(influx_settings) == 1200  # each chunk waited 0.3 s at most, then went on
    waits = c.health()["consumer_waits_total"]
    assert waits >= 1
    started = time.monotonic()
    publisher.publish("kho/n1/telemetry", orjson.dumps({"ts": t0 + 5000, "seq": 5000, "smoke": True}))
    wait_for(lambda: any(r.fields.get("smoke") == 1.0 for r in stuck.readings), 5, "smoke never reached the consumer")
    assert time.monotonic() - started < 0.3, "smoke waited for the stuck consumer"
    assert c.health()["consumer_waits_total"] == waits


class Sluggish(Recorder):
    """Slow processing (it sleeps in the processing thread); notes the deepest inbox it sees."""

    def __init__(self, collector_ref: list[Collector]) -> None:
        super().__init__()
        self.ref = collector_ref
        self.max_inbox = 0

    def on_readings(self, readings: Sequence[Reading]) -> None:
        super().on_readings(readings)
        if self.ref:
            self.max_inbox = max(self.max_inbox, len(self.ref[0].inbox.normal))
        time.sleep(0.1)  # the slow processing itself


def test_reading_pauses_while_the_inbox_is_full(
    make_mosquitto: Callable[..., ManagedServer],
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: MakeCollector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from collector import inbox

    monkeypatch.setattr(inbox, "INBOX_HIGH", 400)
    monkeypatch.setattr(inbox, "INBOX_LOW", 200)
    # No inflight limit at the broker: only the collector's own gate bounds what it takes in.
    broker = make_mosquitto(extra_conf="max_inflight_messages 0")
    ref: list[Collector] = []
    slow = Sluggish(ref)
    c = make_collector(broker.port, influx_settings, registry_sessions, consumers=[slow])
    ref.append(c)
    publisher = Publisher(broker.port)
    t0 = int(_now() * 1000) - 60_000
    publish_series(publisher, 6000, t0)
    publisher.wait_acked(6000)
    assert c.wait_idle(60)
    assert count_points(influx_settings) == 6000 and len(slow.readings) == 6000
    # one 64 KiB read (~600 of these messages) may land past the mark, no more
    assert slow.max_inbox <= 400 + 1000, slow.max_inbox
    assert c.health()["read_pauses_total"] >= 1
    publisher.close()
