"""Each rule driven through the one rule interface, without an engine, a database or a server."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from alerts.rules import ALERT_NAMES, RULES, AlertRule, Context, OpenAlert, Rule, Signal, build_rules, title_of
from alerts.rules.device import BatteryRule, OfflineRule
from alerts.rules.mould import MouldRule
from alerts.rules.smoke import SmokeRule
from alerts.rules.swing import SwingRule
from alerts.rules.system import SystemRule
from alerts.rules.threshold import ThresholdRule
from alerts.settings import AlertSettings
from collector.reading import Reading, StatusEvent
from inventory.climate import limits_for
from inventory.directory import DeviceDirectory, DeviceEntry, Placement, RoomEntry

T0 = 1_790_000_000_000
MIN = 60_000
HOUR = 60 * MIN
ROOM = RoomEntry(7, "HN", "P1", "Phòng 1", "Kho Hà Nội", "paper", limits_for("paper"))


def reading(ts_ms: int, device: str = "n1", **fields: float) -> Reading:
    return Reading(device, "HN", "P1", 7, ts_ms, ts_ms, dict(fields))


def ctx(now_ms: int, **kw: Any) -> Context:
    return Context(now_ms=now_ms, start_ms=kw.pop("start_ms", T0), stale_before_ms=now_ms - 15 * MIN, **kw)


def states(signals: list[Signal]) -> list[tuple[str, bool, str]]:
    return [(s.rule, s.active, s.severity) for s in signals]


def directory(*devices: tuple[str, bool, int]) -> DeviceDirectory:
    entries = {}
    for dev, smoke, interval in devices:
        p = [Placement(0, "HN", "P1", 7)]
        entries[dev] = DeviceEntry(dev, "native", f"kho/{dev}", smoke, interval, p, [0])
    return DeviceDirectory(1, entries, {}, {7: ROOM})


def test_the_registry_builds_every_rule_with_its_own_names() -> None:
    rules = build_rules(AlertSettings())
    assert [type(r) for r in rules] == list(RULES)
    names = [r.name for r in rules]
    assert len(set(names)) == len(names) and all(names)
    assert len(set(ALERT_NAMES)) == len(ALERT_NAMES)
    builtin = {v for k, v in vars(Rule).items() if k.isupper()}
    assert builtin == set(ALERT_NAMES)
    assert [r.name for r in rules if r.urgent_fields] == ["smoke"]


def test_threshold_signals_hold_and_leave_only_past_the_deadband() -> None:
    rule = ThresholdRule.from_settings(AlertSettings(threshold_duration_s=600))
    t = T0
    assert rule.on_reading(reading(t, temperature_c=20.0), ROOM, ctx(t)) == []
    [hot] = rule.on_reading(reading(t + MIN, temperature_c=23.0), ROOM, ctx(t + MIN))
    assert (hot.rule, hot.active, hot.severity, hot.limit, hot.hold_ms) == ("temperature", True, "warning", 22, 600_000)
    [crit] = rule.on_reading(reading(t + 2 * MIN, temperature_c=26.0), ROOM, ctx(t + 2 * MIN))
    assert (crit.severity, crit.limit) == ("critical", 25)
    # 24.8 °C is inside the outer limit but not by the 0.5 °C deadband: still critical
    [held] = rule.on_reading(reading(t + 3 * MIN, temperature_c=24.8), ROOM, ctx(t + 3 * MIN))
    assert held.severity == "critical"
    [back] = rule.on_reading(reading(t + 4 * MIN, temperature_c=20.0), ROOM, ctx(t + 4 * MIN))
    assert (back.active, back.value) == (False, 20.0)


def test_threshold_ignores_replayed_readings_and_unknown_rooms() -> None:
    rule = ThresholdRule.from_settings(AlertSettings())
    now = T0 + 10 * HOUR
    assert rule.on_reading(reading(now - HOUR, temperature_c=30.0), ROOM, ctx(now)) == []
    assert rule.on_reading(reading(now, temperature_c=30.0), None, ctx(now)) == []
    assert rule.tracks == {}


def test_threshold_restored_from_an_open_alert_resolves_instead_of_staying_silent() -> None:
    rule = ThresholdRule.from_settings(AlertSettings())
    rule.restore({}, [OpenAlert(Rule.HUMIDITY, "critical", "HN", "P1", 7, "n1")], ctx(T0))
    [s] = rule.on_reading(reading(T0, humidity_pct=50.0), ROOM, ctx(T0))
    assert (s.rule, s.active) == ("humidity", False)


def test_smoke_is_judged_even_in_a_room_the_registry_does_not_know() -> None:
    rule = SmokeRule.from_settings(AlertSettings())
    [s] = rule.on_reading(reading(T0, "s1", smoke_level=0.2), None, ctx(T0))
    assert (s.active, s.severity, s.limit) == (True, "warning", 0.15)
    [s] = rule.on_reading(reading(T0 + 1, "s1", smoke=1.0), None, ctx(T0))
    assert (s.severity, s.limit, s.details) == ("critical", None, {"binary": True})
    assert rule.on_reading(reading(T0 + 2, "n1", temperature_c=20.0), ROOM, ctx(T0)) == []
    [s] = rule.on_reading(reading(T0 + 3, "s1", smoke=0.0, smoke_level=0.0), ROOM, ctx(T0))
    assert s.active is False


def test_smoke_restored_as_active_clears_on_the_first_clean_reading() -> None:
    rule = SmokeRule.from_settings(AlertSettings())
    rule.restore({}, [OpenAlert(Rule.SMOKE, "critical", "HN", "P1", 7, "s1")], ctx(T0))
    [s] = rule.on_reading(reading(T0 + 1, "s1", smoke=0.0), ROOM, ctx(T0 + 1))
    assert (s.rule, s.active) == ("smoke", False)


def test_swing_learns_from_a_replay_without_alerting_about_the_past() -> None:
    rule = SwingRule.from_settings(AlertSettings())
    now = T0 + 3 * HOUR
    # two hours ago, replayed: 19 °C (stale, history only)
    assert rule.on_reading(reading(now - 2 * HOUR, temperature_c=19.0), ROOM, ctx(now)) == []
    [s] = rule.on_reading(reading(now, temperature_c=21.5), ROOM, ctx(now))  # 2.5 °C range > 2 °C
    assert (s.rule, s.active, s.value, s.details) == ("swing_temperature", True, 2.5, {"min": 19.0, "max": 21.5})


def test_swing_memory_survives_a_json_round_trip() -> None:
    before = SwingRule.from_settings(AlertSettings())
    now = T0 + 3 * HOUR
    before.on_reading(reading(now - HOUR, temperature_c=19.0), ROOM, ctx(now))
    saved = orjson.loads(orjson.dumps(before.state()))
    after = SwingRule.from_settings(AlertSettings())
    after.restore(saved, [], ctx(now))
    [s] = after.on_reading(reading(now, temperature_c=21.5), ROOM, ctx(now))
    assert s.active and s.value == 2.5


def test_mould_accumulates_replays_silently_and_resumes_from_its_checkpoint() -> None:
    rule = MouldRule.from_settings(AlertSettings())
    now = T0 + 80 * HOUR
    got: list[Signal] = []
    # 20 °C / 85 %: 6 days to germination; 73 hourly readings, all replayed: 0.5 reached, nothing raised
    for h in range(73):
        got += rule.on_reading(reading(T0 + h * HOUR, temperature_c=20, humidity_pct=85), ROOM, ctx(now))
    assert got == []
    saved = orjson.loads(orjson.dumps(rule.state()))
    assert saved["n1"]["acc"] == pytest.approx(0.5, abs=0.01)
    resumed = MouldRule.from_settings(AlertSettings())
    resumed.restore(saved, [], ctx(now))
    assert resumed.state() == saved


def test_offline_by_last_will_by_silence_and_back() -> None:
    rule = OfflineRule.from_settings(AlertSettings())
    d = directory(("s1", True, 30), ("n1", False, 60))
    c = ctx(T0, directory=d)
    [s] = rule.on_status(StatusEvent("s1", "HN", "P1", 7, False, T0), c)
    assert (s.rule, s.active, s.severity, s.details["reason"]) == ("offline", True, "critical", "last_will")
    assert rule.on_status(StatusEvent("s1", "HN", "P1", 7, False, T0 + 1), c) == []  # already offline
    # n1 never heard of since the start: counted from start, silent after 3 × 60 s
    assert rule.on_tick(ctx(T0 + 170_000, directory=d)) == []
    [silent] = rule.on_tick(ctx(T0 + 181_000, directory=d))
    assert (silent.device_id, silent.severity, silent.details["reason"]) == ("n1", "warning", "silent")
    [back] = rule.on_reading(reading(T0 + 182_000, "n1", temperature_c=20), ROOM, ctx(T0 + 182_000, directory=d))
    assert (back.device_id, back.active) == ("n1", False)


def test_offline_retained_replay_notifies_nobody() -> None:
    rule = OfflineRule.from_settings(AlertSettings())
    c = ctx(T0, directory=directory(("s1", True, 30)))
    assert rule.on_status(StatusEvent("s1", "HN", "P1", 7, False, T0 - HOUR, retained=True), c) == []
    rule.restore({}, [OpenAlert(Rule.OFFLINE, "critical", "HN", "P1", 7, "s1")], c)
    [s] = rule.on_status(StatusEvent("s1", "HN", "P1", 7, True, T0, retained=True), c)
    assert (s.active, s.notify) == (False, False)


def test_battery_low_recovers_past_the_deadband_and_skips_replays() -> None:
    rule = BatteryRule.from_settings(AlertSettings())
    now = T0 + HOUR
    assert rule.on_reading(reading(T0, battery_v=3.0), ROOM, ctx(now)) == []  # replayed
    [low] = rule.on_reading(reading(now, battery_v=3.2), ROOM, ctx(now))
    assert (low.rule, low.active, low.limit) == ("battery", True, 3.3)
    assert rule.on_reading(reading(now + 1, battery_v=3.35), ROOM, ctx(now)) == []
    [ok] = rule.on_reading(reading(now + 2, battery_v=3.5), ROOM, ctx(now))
    assert ok.active is False


def test_system_rule_needs_a_health_report_and_waits_out_the_start() -> None:
    rule = SystemRule.from_settings(AlertSettings(system_duration_s=60))
    assert rule.on_tick(ctx(T0 + HOUR, health=None)) == []
    health = {"broker_connected": False, "influx_reachable": False, "spool_bytes": 900, "spool_cap_bytes": 1000}
    assert rule.on_tick(ctx(T0 + 30_000, health=health)) == []  # still inside the start-up grace
    got = rule.on_tick(ctx(T0 + 61_000, health=health, directory=directory(("n1", False, 60))))
    assert states(got) == [
        ("system_receiving", True, "critical"),
        ("system_influx", True, "warning"),
        ("system_spool", True, "warning"),
    ]
    assert all(s.site == "" and s.room_id is None for s in got)


def test_every_rule_method_has_a_harmless_default() -> None:
    class Quiet(AlertRule):
        name = "quiet"

    q = Quiet()
    c = ctx(T0)
    assert q.on_reading(reading(T0), ROOM, c) == []
    assert q.on_status(StatusEvent("n1", "HN", "P1", 7, True, T0), c) == []
    assert q.on_tick(c) == [] and q.state() == {}
    q.restore({"x": 1}, [], c)


def test_a_rule_may_name_its_own_alert_kinds() -> None:
    assert title_of("smoke", "vi") is None  # built-in kinds are named in alerts.messages
    assert title_of("no_such_kind", "en") is None
