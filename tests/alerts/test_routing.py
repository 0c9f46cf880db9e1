"""Routing with a fast clock: repeats until acknowledged, escalation, silences, quiet hours, grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alerts import store
from inventory.db import session_scope
from tests.alerts.conftest import (
    FakeClock,
    add_webhook_contact,
    alerts_in,
    deliveries,
    fast_settings,
    make_registry,
    reading,
)


def smoke(eng: Any, clock: FakeClock, room: Any, on: bool = True) -> None:
    eng.on_readings(
        [
            reading(room, clock.ms, "s1", smoke=1 if on else 0),
            reading(room, clock.ms, "n1", temperature_c=20, humidity_pct=50),
        ]
    )
    assert eng.settle()


def step(eng: Any, clock: FakeClock, room: Any, seconds: float, smoky: int = 1) -> None:
    """Advance time in 60 s steps with both nodes reporting (so no offline alert joins in)."""
    left = seconds
    while left > 0:
        dt = min(60.0, left)
        left -= dt
        clock.advance(dt)
        eng.on_readings(
            [
                reading(room, clock.ms, "n1", temperature_c=20, humidity_pct=50),
                reading(room, clock.ms, "s1", smoke=smoky),
            ]
        )
        assert eng.settle()


def test_repeat_until_ack_and_escalation_by_tier(sessions, clock, make_engine, http_receiver) -> None:
    room = make_registry(sessions)
    keeper, manager, director = http_receiver(), http_receiver(), http_receiver()
    add_webhook_contact(sessions, keeper.url, tier=1, name="keeper")
    add_webhook_contact(sessions, manager.url, tier=2, name="manager")
    add_webhook_contact(sessions, director.url, tier=3, name="director")
    eng = make_engine(sessions, clock, fast_settings(repeat_critical_s=300, escalation_s=900))
    smoke(eng, clock, room)
    assert len(keeper.wait_for(1)) == 1 and manager.requests == [] and director.requests == []
    step(eng, clock, room, 200)
    assert len(keeper.requests) == 1  # no repeat before 5 min
    step(eng, clock, room, 110)
    assert len(keeper.wait_for(2)) == 2  # repeat at 5 min
    assert keeper.requests[1].json()["kind"] == "repeat"
    for _ in range(2):
        step(eng, clock, room, 300)  # 15 min: repeat + escalation to the manager
    assert len(manager.wait_for(1)) == 1 and manager.requests[0].json()["kind"] == "escalate"
    assert director.requests == []
    [a] = alerts_in(sessions, "smoke")
    with session_scope(sessions) as s:
        store.acknowledge(s, a.id, "manager", "đang kiểm tra", datetime.fromtimestamp(clock(), UTC))
    n_keeper, n_manager = len(keeper.requests), len(manager.requests)
    for _ in range(6):
        step(eng, clock, room, 300)  # 30 more minutes: no repeat, no escalation after the ack
    assert (len(keeper.requests), len(manager.requests), len(director.requests)) == (n_keeper, n_manager, 0)
    smoke(eng, clock, room, on=False)
    # resolve notice to everyone who heard about it
    assert keeper.wait_for(n_keeper + 1)[-1].json()["kind"] == "resolve"
    assert manager.wait_for(n_manager + 1)[-1].json()["kind"] == "resolve"
    assert director.requests == []
    kinds = [e.kind for e in store.history(sessions(), a.id)]
    assert kinds[0] == "fired" and "acknowledged" in kinds and kinds[-1] == "resolved"


def test_warning_repeats_every_4h(sqlite_sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url)
    eng = make_engine(sqlite_sessions, clock, fast_settings(escalation_s=10**6))
    eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0), reading(room, clock.ms, "s1", smoke=0)])
    assert eng.settle()
    assert len(webhook.wait_for(1)) == 1
    for _ in range(7):
        clock.advance(1800)
        eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0), reading(room, clock.ms, "s1", smoke=0)])
        assert eng.settle()
    assert len(webhook.requests) == 1  # 3.5 h
    clock.advance(1800)
    eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0), reading(room, clock.ms, "s1", smoke=0)])
    assert eng.settle()
    assert len(webhook.wait_for(2)) == 2


def test_silence_mutes_then_notifies_when_it_ends(sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sessions)
    add_webhook_contact(sessions, webhook.url)
    now = datetime.fromtimestamp(clock(), UTC)
    with session_scope(sessions) as s:
        store.add_silence(
            s, now + timedelta(minutes=30), "bảo trì cảm biến", "admin", site="HN", room="P1", starts_at=now
        )
    eng = make_engine(sessions, clock)
    smoke(eng, clock, room)
    assert alerts_in(sessions, "smoke")[0].state == "firing"
    assert webhook.requests == []
    step(eng, clock, room, 29 * 60)
    assert webhook.requests == []
    step(eng, clock, room, 2 * 60)
    assert len(webhook.wait_for(1)) == 1


def test_quiet_hours_hold_warnings_but_not_smoke(sqlite_sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url)
    # T0 is 2026-09-21 14:13 UTC = 21:13 in Hà Nội; quiet 21:00–06:00 local
    eng = make_engine(sqlite_sessions, clock, fast_settings(quiet_hours="21:00-06:00"))
    eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0)])
    assert eng.settle()
    assert alerts_in(sqlite_sessions, "battery")[0].state == "firing"
    assert webhook.requests == []
    smoke(eng, clock, room)
    got = webhook.wait_for(1)
    assert [r.json()["alerts"][0]["rule"] for r in got] == ["smoke"]
    clock.advance(9 * 3600)  # 06:13 local
    eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0), reading(room, clock.ms, "s1", smoke=1)])
    assert eng.settle()
    rules = [r.json()["alerts"][0]["rule"] for r in webhook.wait_for(3)]
    assert "battery" in rules


def test_simultaneous_warnings_of_a_site_grouped(sqlite_sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url, language="en")
    eng = make_engine(sqlite_sessions, clock, fast_settings(group_window_s=30))
    eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0)])
    eng.on_readings([reading(room, clock.ms, "s1", battery_v=3.1, smoke=0)])
    assert eng.settle()
    assert webhook.requests == []  # the group window is still open
    clock.advance(31)
    eng.on_readings([reading(room, clock.ms, "s1", smoke=0)])
    assert eng.settle()
    [msg] = webhook.wait_for(1)
    body = msg.json()
    assert body["kind"] == "group" and len(body["alerts"]) == 2
    assert "2 warnings" in body["subject"]
    assert eng.worker.wait_idle()  # the row is marked sent after the receiver answered
    assert [d.status for d in deliveries(sqlite_sessions)] == ["sent"]
