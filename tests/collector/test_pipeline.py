"""The ingest pipeline as a pure function of messages and a registry snapshot: no broker, no InfluxDB, no SQL."""

from __future__ import annotations

import math

import orjson
import pytest

from collector.attribution import Snapshot
from collector.decoders.types import INTERNAL_ERROR, UNKNOWN_DEVICE
from collector.dewpoint import dew_point_c
from collector.inbox import Inbox
from collector.metrics import METRICS, Counters, prometheus_text
from collector.pairing import PAIR_WINDOW_MS, Pairing
from collector.pipeline import Inbound, Pipeline
from collector.profiles import smoke_hint
from collector.validate import TimePolicy
from inventory.directory import DeviceDirectory, DeviceEntry, Placement

NOW = 1_764_000_000_000  # ms
DAY = 86_400_000


def device(dev_id: str, profile: str, topic: str, since_ms: int = NOW - DAY, room: str = "P1") -> DeviceEntry:
    placements = [Placement(since_ms, "HN", room, 1 if room == "P1" else 2)] if since_ms else []
    return DeviceEntry(dev_id, profile, topic, True, 60, placements, [p.since_ms for p in placements])


def snapshot(*devices: DeviceEntry, version: int = 1) -> Snapshot:
    devs = {d.id: d for d in devices}
    return Snapshot(DeviceDirectory(version, devs, {d.topic: d for d in devs.values()}, {}), 65536)


SNAP = snapshot(
    device("n1", "native", "kho/n1"),
    device("e1", "esphome", "e1"),
    device("s1", "shelly", "shellyhtg3-1"),
    device("lost", "native", "kho/lost", since_ms=0),
)


def msg(topic: str, payload: bytes | dict[str, object], *, retain: bool = False, mid: int = 1) -> Inbound:
    body = orjson.dumps(payload) if isinstance(payload, dict) else payload
    return (1, mid, topic, body, retain, 1)


@pytest.fixture
def pipeline() -> Pipeline:
    return Pipeline(TimePolicy(300_000, 7 * DAY))


def test_native_reading_becomes_line_reading_and_ack(pipeline: Pipeline) -> None:
    ts = NOW - 5_000
    b = pipeline.run([msg("kho/n1/telemetry", {"ts": ts, "temperature_c": 21.5, "humidity_pct": 50.0})], SNAP, NOW)
    dp = dew_point_c(21.5, 50.0)
    assert b.lines == [
        f"climate,device=n1,room=P1,site=HN temperature_c=21.5,humidity_pct=50.0,dew_point_c={dp!r} {ts}"
    ]
    [r] = b.readings
    assert (r.device_id, r.site, r.room, r.room_id, r.ts_ms, r.received_ms) == ("n1", "HN", "P1", 1, ts, NOW)
    assert b.acks == [(1, 1, 1)] and b.letters == [] and b.statuses == []
    c = pipeline.counters
    assert (c.received_total, c.readings_total, c.rejected_total, c.last_message_ms) == (1, 1, 0, NOW)


def test_rejects_are_dead_letters_and_still_acknowledged(pipeline: Pipeline) -> None:
    chunk = [
        msg("kho/n1/telemetry", b"{nope", mid=1),
        msg("kho/n1/telemetry", {"ts": NOW, "humidity_pct": 150.0}, mid=2),
        msg("kho/ghost/telemetry", {"temperature_c": 20.0}, mid=3),
        msg("kho/lost/telemetry", {"temperature_c": 20.0}, mid=4),
        msg("weird/topic", b"1", mid=5),
    ]
    b = pipeline.run(chunk, SNAP, NOW)
    assert [d.reason for d in b.letters] == [
        "not_json",
        "out_of_range",
        UNKNOWN_DEVICE,
        UNKNOWN_DEVICE,
        "unknown_topic",
    ]
    assert b.letters[1].payload == orjson.dumps({"ts": NOW, "humidity_pct": 150.0})
    assert "no room" in b.letters[3].detail
    assert b.lines == [] and b.readings == []
    assert [a[1] for a in b.acks] == [1, 2, 3, 4, 5]  # kept as dead letters: acknowledging loses nothing
    assert pipeline.counters.rejects_by_reason == {
        "not_json": 1,
        "out_of_range": 1,
        UNKNOWN_DEVICE: 2,
        "unknown_topic": 1,
    }


def test_unknown_device_asks_for_a_newer_snapshot(pipeline: Pipeline) -> None:
    newer = snapshot(device("n1", "native", "kho/n1"), device("n9", "native", "kho/n9"), version=2)
    asked: list[int] = []

    def refresh() -> Snapshot | None:
        asked.append(1)
        return newer

    b = pipeline.run([msg("kho/n9/telemetry", {"ts": NOW, "temperature_c": 20.0})], SNAP, NOW, refresh)
    assert asked == [1] and [r.device_id for r in b.readings] == ["n9"] and b.letters == []
    b = pipeline.run([msg("kho/n1/telemetry", {"ts": NOW, "temperature_c": 20.0})], SNAP, NOW, refresh)
    assert asked == [1]  # known devices never trigger a reload


def test_receive_time_stamps_of_one_device_never_collide(pipeline: Pipeline) -> None:
    chunk = [msg("kho/n1/telemetry", {"temperature_c": 20.0 + i}, mid=i) for i in range(3)]
    chunk.append(msg("kho/n1/telemetry", {"ts": NOW + 3_600_000, "temperature_c": 30.0}, mid=3))  # clock ahead
    b = pipeline.run(chunk, SNAP, NOW)
    assert [r.ts_ms for r in b.readings] == [NOW, NOW + 1, NOW + 2, NOW + 3]
    assert pipeline.counters.clock_skew_total == 1


def test_retained_values_without_time_are_skipped(pipeline: Pipeline) -> None:
    b = pipeline.run([msg("e1/sensor/temperature/state", b"21.0", retain=True)], SNAP, NOW)
    assert b.readings == [] and b.lines == [] and pipeline.counters.retained_skipped_total == 1


def test_status_events_and_retained_replays(pipeline: Pipeline) -> None:
    b = pipeline.run(
        [msg("kho/n1/status", b"offline"), msg("shellyhtg3-1/online", b"true", retain=True, mid=2)], SNAP, NOW
    )
    assert [(e.device_id, e.online, e.retained) for e in b.statuses] == [("n1", False, False), ("s1", True, True)]
    # Only the live one is written: a retained replay describes the past.
    assert b.lines == [f"device_status,device=n1,room=P1,site=HN online=0.0 {NOW}"]
    assert pipeline.counters.status_total == 2


def test_one_value_per_message_profiles_pair_for_the_dew_point(pipeline: Pipeline) -> None:
    b = pipeline.run(
        [
            msg("e1/sensor/temperature/state", b"22.0", mid=1),
            msg("e1/sensor/humidity/state", b"60.0", mid=2),
            msg("shellyhtg3-1/status/temperature:0", {"id": 0, "tC": 19.0}, mid=3),
        ],
        SNAP,
        NOW,
    )
    t, rh, t_s = b.readings
    assert "dew_point_c" not in t.fields  # nothing to pair with yet
    assert rh.fields["dew_point_c"] == dew_point_c(22.0, 60.0)
    assert "dew_point_c" not in t_s.fields  # pairing is per device


def test_pairing_window() -> None:
    p = Pairing()
    assert p.with_dew_point("d", {"temperature_c": 20.0}, 1_000) == {"temperature_c": 20.0}
    late = 1_000 + PAIR_WINDOW_MS + 1
    assert p.with_dew_point("d", {"humidity_pct": 50.0}, late) == {"humidity_pct": 50.0}
    paired = p.with_dew_point("d", {"temperature_c": 21.0}, late + 10)
    assert math.isclose(paired["dew_point_c"], dew_point_c(21.0, 50.0) or 0.0)


def test_a_bug_in_decoding_is_kept_as_internal_error(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = snapshot(device("n1", "native", "kho/n1"))

    def broken(topic: str, payload: bytes) -> list[object]:
        raise ValueError("boom")

    monkeypatch.setattr(snap.dispatcher, "decode", broken)
    b = pipeline.run([msg("kho/n1/telemetry", {"temperature_c": 20.0})], snap, NOW)
    [letter] = b.letters
    assert letter.reason == INTERNAL_ERROR and "boom" in letter.detail and b.acks == [(1, 1, 1)]


def test_inbox_puts_smoke_first_and_gates_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    from collector import inbox as inbox_mod

    monkeypatch.setattr(inbox_mod, "INBOX_HIGH", 3)
    monkeypatch.setattr(inbox_mod, "INBOX_LOW", 1)
    counters = Counters()
    box = Inbox(smoke_hint, counters)
    box.put(1, [(i, "kho/n1/telemetry", b'{"temperature_c":20}', False, 1) for i in range(3)])
    box.put(1, [(9, "kho/n1/telemetry", b'{"smoke":true}', False, 1)])
    assert len(box) == 4 and box.wake.is_set()
    assert not box.may_read() and counters.read_pauses_total == 1  # full: paused
    chunk, normal = box.take(10)
    assert [m[1] for m in chunk] == [9] and not normal  # smoke overtakes the backlog
    chunk, normal = box.take(2)
    assert [m[1] for m in chunk] == [0, 1] and normal
    assert box.may_read()  # down to INBOX_LOW: reading again


def test_every_health_number_has_one_metric() -> None:
    counters = Counters()
    counters.reject("not_json")
    counters.received_total = 7
    text = prometheus_text({"healthy": True, **counters.as_health()})
    assert "kho_collector_up 1" in text and "kho_collector_messages_received_total 7" in text
    assert 'kho_collector_rejects_total{reason="not_json"} 1' in text
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names)) and len({m.key for m in METRICS}) == len(METRICS)
    assert all(f"# HELP {m.name} " in text for m in METRICS if m.key in counters.as_health())
