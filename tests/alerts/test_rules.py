"""Every rule fires and resolves through the engine (fake clock, real SQL)."""

from __future__ import annotations

import threading
from typing import Any

from alerts.rules.base import Rule
from collector.reading import StatusEvent
from tests.alerts.conftest import FakeClock, alerts_in, fast_settings, make_registry, reading
from tests.conftest import let_time_pass

MIN = 60_000


def system_alerts(sessions: Any) -> list[Any]:
    return [a for a in alerts_in(sessions) if a.rule.startswith("system")]


def feed(
    eng: Any, clock: FakeClock, room: Any, minutes: int, step_s: int = 60, device: str = "n1", **fields: float
) -> None:
    for _ in range(minutes * 60 // step_s):
        clock.advance(step_s)
        batch = [reading(room, clock.ms, device, **fields)]
        if device != "s1":  # keep the smoke node alive so the offline rule stays out of the way
            batch.append(reading(room, clock.ms, "s1", smoke=0))
        eng.on_readings(batch)
        # the engine judges staleness by its clock: let it keep up with the simulated time
        assert eng.flush()


def test_threshold_waits_for_duration_then_fires_and_resolves(sessions, clock, make_engine) -> None:
    room = make_registry(sessions)
    eng = make_engine(sessions, clock)
    feed(eng, clock, room, 5, temperature_c=20.0, humidity_pct=50.0)
    assert alerts_in(sessions) == []
    feed(eng, clock, room, 14, temperature_c=23.5, humidity_pct=50.0)  # above 22 °C target for 14 min
    [a] = alerts_in(sessions, Rule.TEMPERATURE)
    assert a.state == "pending" and a.fired_at is None
    feed(eng, clock, room, 2, temperature_c=23.5, humidity_pct=50.0)
    [a] = alerts_in(sessions, Rule.TEMPERATURE)
    assert a.state == "firing" and a.severity == "warning" and a.limit_value == 22
    assert (a.fired_at - a.started_at).total_seconds() >= 15 * 60
    feed(eng, clock, room, 2, temperature_c=21.7, humidity_pct=50.0)  # inside but within the deadband
    assert alerts_in(sessions, Rule.TEMPERATURE)[0].state == "firing"
    feed(eng, clock, room, 1, temperature_c=21.0, humidity_pct=50.0)
    [a] = alerts_in(sessions, Rule.TEMPERATURE)
    assert a.state == "resolved" and a.resolved_at is not None and a.open_key is None


def test_short_excursion_is_cancelled_not_fired(sqlite_sessions, clock, make_engine) -> None:
    room = make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    feed(eng, clock, room, 10, humidity_pct=60.0)
    feed(eng, clock, room, 1, humidity_pct=50.0)
    [a] = alerts_in(sqlite_sessions, Rule.HUMIDITY)
    assert a.state == "resolved" and a.fired_at is None


def test_outer_limit_gives_critical(sqlite_sessions, clock, make_engine) -> None:
    room = make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    feed(eng, clock, room, 16, humidity_pct=70.0)  # outer RH limit 65 %
    [a] = alerts_in(sqlite_sessions, Rule.HUMIDITY)
    assert a.state == "firing" and a.severity == "critical" and a.limit_value == 65


def test_hysteresis_oscillation_for_an_hour_gives_exactly_one_alert(sessions, clock, make_engine) -> None:
    room = make_registry(sessions)
    eng = make_engine(sessions, clock)
    for i in range(3600 // 20):  # one reading every 20 s for an hour: 22.1, 21.9, 22.1 …
        clock.advance(20)
        eng.on_readings(
            [
                reading(room, clock.ms, temperature_c=22.0 + (0.1 if i % 2 == 0 else -0.1)),
                reading(room, clock.ms, "s1", smoke=0),
            ]
        )
        assert eng.flush()
    got = alerts_in(sessions, Rule.TEMPERATURE)
    assert len(got) == 1
    assert got[0].state == "firing"


def test_swing_over_24h(sqlite_sessions, clock, make_engine) -> None:
    room = make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    # 20 °C, then 21.5 °C three hours later: range 1.5 < 2; then 22.0 °C → 2.0 (not above); 22.3 → 2.3 > 2
    for t in (20.0, 21.5, 22.0):
        feed(eng, clock, room, 180, step_s=600, temperature_c=t, humidity_pct=50)
    assert alerts_in(sqlite_sessions, Rule.SWING_T) == []
    feed(eng, clock, room, 20, step_s=600, temperature_c=22.3, humidity_pct=50)
    [a] = alerts_in(sqlite_sessions, Rule.SWING_T)
    assert a.state == "firing" and a.value == 2.3
    # a day later only ~22 °C remains in the window
    feed(eng, clock, room, 25 * 60, step_s=1800, temperature_c=22.0, humidity_pct=50)
    assert alerts_in(sqlite_sessions, Rule.SWING_T)[0].state == "resolved"


def test_mould_risk_warning_then_critical_then_reset(sqlite_sessions, clock, make_engine) -> None:
    room = make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    # 20 °C / 85 %: 6 days to germination → 0.5 after 3 days, 1.0 after 6 days
    feed(eng, clock, room, 3 * 24 * 60 + 180, step_s=3600, temperature_c=20, humidity_pct=85)
    [a] = alerts_in(sqlite_sessions, Rule.MOULD)
    assert a.state == "firing" and a.severity == "warning"
    feed(eng, clock, room, 3 * 24 * 60, step_s=3600, temperature_c=20, humidity_pct=85)
    [a] = alerts_in(sqlite_sessions, Rule.MOULD)
    assert a.severity == "critical" and a.value >= 1.0
    feed(eng, clock, room, 26 * 60, step_s=3600, temperature_c=20, humidity_pct=50)
    [a] = alerts_in(sqlite_sessions, Rule.MOULD)
    assert a.state == "resolved"


def test_device_offline_by_last_will_and_by_silence(sessions, clock, make_engine) -> None:
    room = make_registry(sessions)
    eng = make_engine(sessions, clock)
    feed(eng, clock, room, 1, temperature_c=20, humidity_pct=50)
    eng.on_readings([reading(room, clock.ms, "s1", smoke=0)])
    eng.on_status(StatusEvent("s1", "HN", "P1", room.room_id, False, clock.ms))
    assert eng.flush()
    [a] = alerts_in(sessions, Rule.OFFLINE)
    assert a.device_id == "s1" and a.state == "firing" and a.severity == "critical"  # a smoke detector
    eng.on_status(StatusEvent("s1", "HN", "P1", room.room_id, True, clock.ms))
    assert eng.flush()
    assert alerts_in(sessions, Rule.OFFLINE)[0].state == "resolved"
    # n1 (60 s interval) silent for more than 3 minutes: a warning; s1 keeps talking
    for _ in range(4):
        clock.advance(50)
        eng.on_readings([reading(room, clock.ms, "s1", smoke=0)])
        assert eng.flush()
    assert eng.flush()
    got = [a for a in alerts_in(sessions, Rule.OFFLINE) if a.device_id == "n1"]
    assert len(got) == 1 and got[0].severity == "warning" and got[0].state == "firing"
    feed(eng, clock, room, 1, temperature_c=20, humidity_pct=50)
    assert [a.state for a in alerts_in(sessions, Rule.OFFLINE) if a.device_id == "n1"] == ["resolved"]


def test_retained_offline_replay_raises_nothing(sqlite_sessions, clock, make_engine, webhook) -> None:
    from tests.alerts.conftest import add_webhook_contact

    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url)
    eng = make_engine(sqlite_sessions, clock)
    eng.on_status(StatusEvent("s1", "HN", "P1", room.room_id, False, clock.ms - 3_600_000, retained=True))
    assert eng.settle()
    assert alerts_in(sqlite_sessions) == []
    assert webhook.requests == []


def test_battery_low_and_recovered(sqlite_sessions, clock, make_engine) -> None:
    room = make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    feed(eng, clock, room, 1, battery_v=3.2)
    assert alerts_in(sqlite_sessions, Rule.BATTERY)[0].state == "firing"
    feed(eng, clock, room, 1, battery_v=3.35)  # within the 0.1 V deadband
    assert alerts_in(sqlite_sessions, Rule.BATTERY)[0].state == "firing"
    feed(eng, clock, room, 1, battery_v=3.9)
    assert alerts_in(sqlite_sessions, Rule.BATTERY)[0].state == "resolved"


def test_smoke_binary_and_level(sessions, clock, make_engine) -> None:
    room = make_registry(sessions)
    eng = make_engine(sessions, clock)
    feed(eng, clock, room, 1, device="s1", smoke=0, smoke_level=0.02)
    assert alerts_in(sessions) == []
    feed(eng, clock, room, 1, device="s1", smoke=0, smoke_level=0.2)  # above the alert level 0.15
    [a] = alerts_in(sessions, Rule.SMOKE)
    assert a.state == "firing" and a.severity == "warning"
    feed(eng, clock, room, 1, device="s1", smoke=1, smoke_level=0.4)
    [a] = alerts_in(sessions, Rule.SMOKE)
    assert a.severity == "critical"
    feed(eng, clock, room, 1, device="s1", smoke=0, smoke_level=0.12)  # in the deadband
    assert alerts_in(sessions, Rule.SMOKE)[0].state == "firing"
    feed(eng, clock, room, 1, device="s1", smoke=0, smoke_level=0.01)
    assert alerts_in(sessions, Rule.SMOKE)[0].state == "resolved"


def test_system_health_rules(sqlite_sessions, clock, make_engine) -> None:
    make_registry(sqlite_sessions)
    health: dict[str, Any] = {
        "broker_connected": True,
        "influx_reachable": True,
        "spool_bytes": 0,
        "spool_cap_bytes": 1000,
        "last_message_ms": clock.ms,
    }
    eng = make_engine(sqlite_sessions, clock, fast_settings(system_duration_s=60), health=lambda: dict(health))
    assert eng.flush()
    health.update(influx_reachable=False, broker_connected=False)
    clock.advance(30)  # during the start-up grace period nothing is judged
    assert eng.flush()
    assert system_alerts(sqlite_sessions) == []
    health.update(broker_connected=True, influx_reachable=True, last_message_ms=clock.ms)
    clock.advance(31)
    assert eng.flush()
    assert system_alerts(sqlite_sessions) == []
    health.update(influx_reachable=False, spool_bytes=600)
    clock.advance(10)
    assert eng.flush()
    assert {a.rule: a.state for a in system_alerts(sqlite_sessions)} == {
        Rule.SYS_INFLUX: "pending",
        Rule.SYS_SPOOL: "firing",
    }
    clock.advance(61)
    assert eng.flush()
    assert {a.rule: a.state for a in system_alerts(sqlite_sessions)}[Rule.SYS_INFLUX] == "firing"
    health.update(influx_reachable=True, spool_bytes=100, broker_connected=False)
    clock.advance(61)
    assert eng.flush()
    clock.advance(61)
    assert eng.flush()
    states = {a.rule: (a.state, a.severity) for a in system_alerts(sqlite_sessions)}
    assert states[Rule.SYS_INFLUX][0] == "resolved" and states[Rule.SYS_SPOOL][0] == "resolved"
    assert states[Rule.SYS_RECEIVING] == ("firing", "critical")


def test_buffered_batch_raises_no_stale_threshold_alert(sessions, clock, make_engine) -> None:
    room = make_registry(sessions)
    eng = make_engine(sessions, clock)
    feed(eng, clock, room, 1, temperature_c=20, humidity_pct=50)
    clock.advance(3 * 3600)
    # a node that was offline for 3 h sends its buffer at once: an hour of heat 2–3 h ago, then normal now
    batch = [reading(room, clock.ms - 3 * 3_600_000 + i * MIN, temperature_c=26.0, humidity_pct=50) for i in range(60)]
    eng.on_readings(batch)
    eng.on_readings([reading(room, clock.ms, temperature_c=20.5, humidity_pct=50)])
    assert eng.flush()
    assert alerts_in(sessions, Rule.TEMPERATURE) == []
    # fresh out-of-limit data still alerts
    feed(eng, clock, room, 16, temperature_c=26.0, humidity_pct=50)
    assert alerts_in(sessions, Rule.TEMPERATURE)[0].severity == "critical"


def test_reading_of_an_unknown_room_still_raises_smoke(sqlite_sessions, clock, make_engine) -> None:
    from collector.reading import Reading

    make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    ghost = Reading("s1", "HN", "PX", 9999, clock.ms, clock.ms, {"smoke": 1.0, "temperature_c": 80.0})
    eng.on_readings([ghost])
    assert eng.flush()
    [a] = alerts_in(sqlite_sessions)
    assert (a.rule, a.room_id, a.severity, a.state) == ("smoke", 9999, "critical", "firing")
    assert eng.errors == 0


def test_retained_online_replay_resolves_quietly(sqlite_sessions, clock, make_engine, webhook) -> None:
    from tests.alerts.conftest import add_webhook_contact

    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url)
    eng = make_engine(sqlite_sessions, clock)
    eng.on_status(StatusEvent("s1", "HN", "P1", room.room_id, False, clock.ms))
    assert eng.settle()
    assert [r.json()["kind"] for r in webhook.wait_for(1)] == ["fire"]
    eng.on_status(StatusEvent("s1", "HN", "P1", room.room_id, True, clock.ms, retained=True))
    assert eng.settle()
    assert alerts_in(sqlite_sessions, Rule.OFFLINE)[0].state == "resolved"
    let_time_pass(0.3, "a resolve notice would reach the webhook now")
    assert len(webhook.requests) == 1  # no resolve notice for a replay


def test_firing_warning_turns_critical_and_notifies_again(sqlite_sessions, clock, make_engine, webhook) -> None:
    from alerts import store
    from inventory.db import session_scope
    from tests.alerts.conftest import add_webhook_contact

    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url)
    eng = make_engine(sqlite_sessions, clock)
    feed(eng, clock, room, 16, humidity_pct=60.0)  # above the 55 % target: warning
    [a] = alerts_in(sqlite_sessions, Rule.HUMIDITY)
    assert (a.state, a.severity) == ("firing", "warning")
    assert eng.settle() and len(webhook.wait_for(1)) == 1
    with session_scope(sqlite_sessions) as s:
        store.acknowledge(s, a.id, "lan", "", a.fired_at)
    feed(eng, clock, room, 16, humidity_pct=70.0)  # above the 65 % outer limit for the hold time
    [a] = alerts_in(sqlite_sessions, Rule.HUMIDITY)
    assert (a.state, a.severity) == ("firing", "critical")
    got = webhook.wait_for(3)  # the 10 % RH jump also fires the 24 h swing warning
    sent = [(r.json()["alerts"][0]["rule"], r.json()["alerts"][0]["severity"]) for r in got]
    assert sent.count(("humidity", "warning")) == 1 and sent.count(("humidity", "critical")) == 1


def test_backlog_counts_readings_queued_but_not_yet_evaluated(sqlite_sessions, clock, make_engine) -> None:
    room = make_registry(sqlite_sessions)
    eng = make_engine(sqlite_sessions, clock)
    assert eng.backlog() == 0
    t = int(clock() * 1000)
    # Hold the engine thread inside a flush so the readings stay queued while we look.
    gate = threading.Event()
    eng._q.put(("r", _Blocking(gate)))
    eng.on_readings([reading(room, t + i, temperature_c=20.0, humidity_pct=50.0) for i in range(700)])
    assert eng.backlog() >= 700
    gate.set()
    assert eng.flush(10)
    assert eng.backlog() == 0
    eng.stop()
    assert eng.backlog() == 0  # a stopped engine holds nobody up


class _Blocking(list):  # a "readings" item whose evaluation waits for a gate
    def __init__(self, gate: Any) -> None:
        super().__init__()
        self.gate = gate

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.gate.wait(10)
        return super().__iter__()
