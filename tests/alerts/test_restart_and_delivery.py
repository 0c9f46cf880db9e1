"""Restart safety (pending durations, firing alerts, queued deliveries) and delivery retries."""

from __future__ import annotations

from typing import Any

from tests.alerts.conftest import (
    FakeClock,
    add_webhook_contact,
    alerts_in,
    deliveries,
    fast_settings,
    make_registry,
    reading,
)
from tests.conftest import let_time_pass, wait_for


def feed(eng: Any, clock: FakeClock, room: Any, minutes: int, smoky: int = 0, **fields: float) -> None:
    for _ in range(minutes):
        clock.advance(60)
        eng.on_readings([reading(room, clock.ms, "n1", **fields), reading(room, clock.ms, "s1", smoke=smoky)])
        assert eng.settle()


def test_restart_in_the_middle_of_a_pending_duration(sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sessions)
    add_webhook_contact(sessions, webhook.url)
    eng = make_engine(sessions, clock)
    feed(eng, clock, room, 10, temperature_c=24.0)
    [pending] = alerts_in(sessions, "temperature")
    assert pending.state == "pending"
    eng.stop()
    clock.advance(30)
    eng2 = make_engine(sessions, clock)
    feed(eng2, clock, room, 5, temperature_c=24.0)
    assert alerts_in(sessions, "temperature")[0].state == "pending"  # 14.5 min since the first hot reading
    feed(eng2, clock, room, 1, temperature_c=24.0)
    [a] = alerts_in(sessions, "temperature")
    assert a.id == pending.id and a.state == "firing" and a.started_at == pending.started_at
    assert len(webhook.wait_for(1)) == 1


def test_restart_with_a_firing_alert_neither_forgets_nor_renotifies(sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sessions)
    add_webhook_contact(sessions, webhook.url)
    settings = fast_settings(repeat_critical_s=300)
    eng = make_engine(sessions, clock, settings)
    feed(eng, clock, room, 1, smoky=1, temperature_c=20)
    assert len(webhook.wait_for(1)) == 1
    eng.stop()
    eng2 = make_engine(sessions, clock, settings)
    feed(eng2, clock, room, 3, smoky=1, temperature_c=20)
    let_time_pass(0.2, "a second notice would reach the webhook now")
    assert len(webhook.requests) == 1
    [a] = alerts_in(sessions, "smoke")
    assert a.state == "firing" and a.notify_count == 1
    feed(eng2, clock, room, 2, smoky=1, temperature_c=20)
    got = webhook.wait_for(2)
    assert [r.json()["kind"] for r in got] == ["fire", "repeat"]
    feed(eng2, clock, room, 1, smoky=0, temperature_c=20)
    assert webhook.wait_for(3)[-1].json()["kind"] == "resolve"
    assert len(alerts_in(sessions, "smoke")) == 1


def _wait_for_attempts(sessions: Any, n: int) -> None:
    """Wait until the one delivery has been tried ``n`` times."""
    wait_for(lambda: any(d.attempts >= n for d in deliveries(sessions)), 20, f"delivery attempt {n} not made")


def test_notifier_failure_then_recovery_no_loss_no_duplicate(sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sessions)
    add_webhook_contact(sessions, webhook.url)
    webhook.fail_next = 3
    eng = make_engine(sessions, clock, fast_settings(retry_base_s=10, retry_max_s=60, repeat_critical_s=3600))
    feed(eng, clock, room, 1, smoky=1, temperature_c=20)
    _wait_for_attempts(sessions, 1)
    [d] = deliveries(sessions)
    assert d.status == "queued" and d.attempts == 1 and "503" in d.last_error
    assert webhook.requests == []
    for n in (2, 3, 4):  # backoff 10 s, 20 s, 40 s on the fake clock (feed moves it 60 s)
        feed(eng, clock, room, 1, smoky=1, temperature_c=20)
        _wait_for_attempts(sessions, n)  # a worker slower than the feed must not miss the clock's steps
    got = webhook.wait_for(1)
    assert len(got) == 1
    assert eng.worker.wait_idle()
    [d] = deliveries(sessions)
    assert d.status == "sent" and d.attempts == 4 and d.sent_at is not None
    feed(eng, clock, room, 2, smoky=1, temperature_c=20)
    let_time_pass(0.2, "a duplicate would reach the webhook now")
    assert len(webhook.requests) == 1
    assert len(deliveries(sessions)) == 1


def test_queued_delivery_survives_a_restart(sqlite_sessions, clock, make_engine, webhook) -> None:
    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url)
    webhook.fail_next = 1
    eng = make_engine(sqlite_sessions, clock)
    feed(eng, clock, room, 1, smoky=1, temperature_c=20)
    _wait_for_attempts(sqlite_sessions, 1)
    eng.stop()
    assert webhook.requests == [] and deliveries(sqlite_sessions)[0].status == "queued"
    clock.advance(5)
    eng2 = make_engine(sqlite_sessions, clock)
    assert eng2.settle()
    assert len(webhook.wait_for(1)) == 1
    assert eng2.worker.wait_idle()
    assert [d.status for d in deliveries(sqlite_sessions)] == ["sent"]


def test_permanent_failure_is_not_retried(sqlite_sessions, clock, make_engine) -> None:
    from alerts import store
    from inventory.db import session_scope

    room = make_registry(sqlite_sessions)
    with session_scope(sqlite_sessions) as s:
        store.add_contact(s, "no-sms", "HN", "sms", "+84900000000")  # no gateway configured
    eng = make_engine(sqlite_sessions, clock)
    feed(eng, clock, room, 1, smoky=1, temperature_c=20)
    _wait_for_attempts(sqlite_sessions, 1)
    [d] = deliveries(sqlite_sessions)
    assert d.status == "dead" and d.attempts == 1 and "not configured" in d.last_error
