"""Cleaning scheduler: tasks from schedules, restarts, two schedulers on one database, overdue + notifier, scans."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.cleaning import CleaningScheduler, OverdueTask, complete_task_by_scan, install, latest_due, next_due
from inventory.db import make_engine, make_sessionmaker, session_scope, utcnow
from inventory.errors import NotFound, RegistryError
from inventory.models import CleaningTask, Room, ShelvingUnit
from inventory.services import BoxIn, create_box, create_fonds, create_schedule, ensure_label, ensure_room_label
from tests.conftest import wait_for
from tests.inventory.tools.helpers import make_site

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # a Monday, 08:00 in Hà Nội


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[OverdueTask]] = []
        self.lock = threading.Lock()

    def notify_overdue(self, tasks: Sequence[OverdueTask]) -> None:
        with self.lock:
            self.calls.append(list(tasks))


def _tasks(sessions: sessionmaker[Session]) -> list[tuple[int, datetime]]:
    with session_scope(sessions) as s:
        return [(t.schedule_id, t.due_at) for t in s.scalars(select(CleaningTask).order_by(CleaningTask.due_at))]


def _weekly(sessions: sessionmaker[Session], starts_at: datetime = T0, recurrence: str = "every 7d") -> int:
    with session_scope(sessions) as s:
        make_site(s)
        return create_schedule(
            s,
            kind="floor",
            recurrence=recurrence,
            actor="manager",
            site_code="LD",
            room_code="K1",
            assignee="thukho1",
            starts_at=starts_at,
        ).id


def test_recurrence_interval_and_cron_in_site_timezone() -> None:
    assert latest_due("every 7d", T0, T0 - timedelta(seconds=1)) is None
    assert latest_due("every 7d", T0, T0 + timedelta(days=15)) == T0 + timedelta(days=14)
    assert latest_due("every 7d", T0, T0 + timedelta(days=15), since=T0 + timedelta(days=14)) is None
    assert next_due("every 12h", T0, T0) == T0 + timedelta(hours=12)
    # 08:00 on Mondays, Hà Nội time = 01:00 UTC
    start = T0 - timedelta(days=30)
    assert latest_due("0 8 * * mon", start, T0 + timedelta(days=3), tz="Asia/Ho_Chi_Minh") == T0
    assert next_due("0 8 * * mon", start, T0, tz="Asia/Ho_Chi_Minh") == T0 + timedelta(days=7)


def test_scheduler_creates_tasks_and_survives_restart(sessions: sessionmaker[Session], migrated_url: str) -> None:
    sid = _weekly(sessions)
    sched = CleaningScheduler(sessions)
    assert sched.tick(T0 - timedelta(hours=1)).created == []  # not started yet
    assert len(sched.tick(T0 + timedelta(hours=1)).created) == 1
    assert sched.tick(T0 + timedelta(hours=2)).created == []  # same occurrence: no second task
    assert len(sched.tick(T0 + timedelta(days=7, minutes=1)).created) == 1

    # "restart": a new engine and scheduler on the same database, after three weeks of downtime
    engine = make_engine(migrated_url)
    try:
        restarted = CleaningScheduler(make_sessionmaker(engine))
        assert restarted.tick(T0 + timedelta(days=7, minutes=2)).created == []
        assert len(restarted.tick(T0 + timedelta(days=29)).created) == 1  # missed weeks collapse into one
    finally:
        engine.dispose()
    assert _tasks(sessions) == [(sid, T0), (sid, T0 + timedelta(days=7)), (sid, T0 + timedelta(days=28))]


def test_cron_schedule_uses_site_timezone(sessions: sessionmaker[Session]) -> None:
    sid = _weekly(sessions, starts_at=T0 - timedelta(days=10), recurrence="0 8 * * mon")
    assert len(CleaningScheduler(sessions).tick(T0 + timedelta(hours=3)).created) == 1
    assert _tasks(sessions) == [(sid, T0)]


def test_two_schedulers_on_one_database_do_not_double_fire(sessions: sessionmaker[Session], migrated_url: str) -> None:
    with session_scope(sessions) as s:
        make_site(s, units=3)
        units = list(s.scalars(select(ShelvingUnit.code)))
        for i in range(12):
            create_schedule(
                s, kind="dusting", recurrence=f"every {i + 1}d", actor="m", unit_code=units[i % 3], starts_at=T0
            )
    engines = [make_engine(migrated_url) for _ in range(2)]
    scheds = [CleaningScheduler(make_sessionmaker(e)) for e in engines]
    barrier = threading.Barrier(2)
    created: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            for day in range(0, 20):
                barrier.wait(timeout=60)
                created[i] += scheds[i].tick(T0 + timedelta(days=day, minutes=5)).created
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for e in engines:
        e.dispose()
    assert not errors, errors
    tasks = _tasks(sessions)
    # every schedule fires on each day divisible by its interval in 0..19, exactly once in total
    expected = sum(len(range(0, 20, n)) for n in range(1, 13))
    assert len(tasks) == expected == len(set(tasks))
    assert sorted(created[0] + created[1]) == sorted(set(created[0] + created[1]))
    assert len(created[0]) + len(created[1]) == expected


def _counting(tick: Callable[..., Any], counts: list[int], i: int) -> Callable[..., Any]:
    """``tick`` that also counts its calls in ``counts[i]``."""

    def counted(*args: Any, **kw: Any) -> Any:
        try:
            return tick(*args, **kw)
        finally:
            counts[i] += 1

    return counted


def test_background_schedulers_in_two_processes_share_the_work(
    sessions: sessionmaker[Session], migrated_url: str
) -> None:
    _weekly(sessions, starts_at=utcnow() - timedelta(minutes=1), recurrence="every 1h")
    engines = [make_engine(migrated_url) for _ in range(2)]
    scheds = [CleaningScheduler(make_sessionmaker(e), tick_s=0.2) for e in engines]
    ticks = [0, 0]
    for i, sc in enumerate(scheds):
        sc.tick = _counting(sc.tick, ticks, i)  # type: ignore[method-assign]
    try:
        for sc in scheds:
            sc.start()
        assert all(sc.running for sc in scheds)
        wait_for(lambda: _tasks(sessions), 20, "no cleaning task was made")
        seen = min(ticks)
        wait_for(lambda: min(ticks) >= seen + 3, 20, lambda: f"both schedulers did not tick again: {ticks}")
    finally:
        for sc in scheds:
            sc.shutdown()
        for e in engines:
            e.dispose()
    assert len(_tasks(sessions)) == 1


def test_overdue_is_recorded_and_notified_once(sessions: sessionmaker[Session], migrated_url: str) -> None:
    _weekly(sessions)
    rec = Recorder()
    a = CleaningScheduler(sessions, notifier=rec, overdue_after=timedelta(days=1))
    a.tick(T0 + timedelta(hours=1))
    assert a.tick(T0 + timedelta(hours=20)).overdue == []  # not yet overdue
    engine = make_engine(migrated_url)
    try:
        b = CleaningScheduler(make_sessionmaker(engine), notifier=lambda: rec)
        first = a.tick(T0 + timedelta(days=2))
        second = b.tick(T0 + timedelta(days=2, hours=1))
    finally:
        engine.dispose()
    assert len(first.overdue) == 1 and second.overdue == []
    (o,) = first.overdue
    assert (o.kind, o.scope, o.code, o.site, o.room, o.due_at, o.assignee) == (
        "floor",
        "room",
        "LD-K1",
        "LD",
        "K1",
        T0,
        "thukho1",
    )
    assert rec.calls == [[o]]
    with session_scope(sessions) as s:
        t = s.scalar(select(CleaningTask).where(CleaningTask.due_at == T0))
        assert t is not None and t.overdue_notified_at == T0 + timedelta(days=2)


def test_broken_notifier_does_not_stop_the_scheduler(sessions: sessionmaker[Session]) -> None:
    _weekly(sessions)

    class Broken:
        def notify_overdue(self, tasks: Sequence[OverdueTask]) -> None:
            raise RuntimeError("smtp down")

    sched = CleaningScheduler(sessions, notifier=Broken())
    sched.tick(T0)
    assert len(sched.tick(T0 + timedelta(days=3)).overdue) == 1  # recorded although the notifier raised
    assert len(sched.tick(T0 + timedelta(days=7)).created) == 1


def test_complete_task_by_scanning_room_or_unit_label(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with session_scope(sessions) as s:
        room = make_site(s)
        unit = s.scalars(select(ShelvingUnit)).first()
        assert unit is not None
        create_schedule(
            s,
            kind="floor",
            recurrence="every 7d",
            actor="m",
            site_code="LD",
            room_code="K1",
            starts_at=now - timedelta(hours=2),
        )
        create_schedule(
            s,
            kind="dusting",
            recurrence="every 14d",
            actor="m",
            unit_code=unit.code,
            starts_at=now - timedelta(hours=2),
        )
        room_token = ensure_room_label(s, s.get(Room, room.id))  # type: ignore[arg-type]
        unit_token = ensure_label(s, "unit", unit.id, unit.code)
        create_fonds(s, "P12", "UBND")
        box = create_box(s, BoxIn(fonds="P12", catalogue=1, number=1), actor="a")
        box_token = ensure_label(s, "box", box.id, box.code)
        unit_code = unit.code
    assert len(CleaningScheduler(sessions).tick().created) == 2

    with session_scope(sessions) as s:
        done = complete_task_by_scan(s, f"https://kho.example.vn/s/{room_token}", "thukho1")
        assert [(t.schedule.kind, t.done_by) for t in done] == [("floor", "thukho1")]
    with session_scope(sessions) as s, pytest.raises(NotFound, match="no cleaning task is due"):
        complete_task_by_scan(s, room_token, "thukho1")
    with session_scope(sessions) as s, pytest.raises(RegistryError, match="box label"):
        complete_task_by_scan(s, box_token, "thukho1")
    with session_scope(sessions) as s, pytest.raises(NotFound):
        complete_task_by_scan(s, "https://kho.example.vn/s/nope-not-a-token", "thukho1")
    with session_scope(sessions) as s:
        done = complete_task_by_scan(s, unit_code.lower(), "thukho2")  # the human code works too
        assert [t.schedule.kind for t in done] == ["dusting"]
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count()).select_from(CleaningTask).where(CleaningTask.done_at.is_(None))) == 0
    assert unit_token


def test_install_runs_with_the_app_and_reads_the_notifier_from_state(sessions: sessionmaker[Session]) -> None:
    _weekly(sessions, starts_at=utcnow() - timedelta(days=3), recurrence="every 30d")
    app = FastAPI()
    app.state.sessions = sessions
    rec = Recorder()
    sched = install(app, tick_s=0.2)
    app.state.overdue_notifier = rec  # attached after install: looked up at each tick
    with TestClient(app):
        wait_for(lambda: rec.calls, 20, "the overdue notifier was not called")
        assert sched.running and app.state.cleaning_scheduler is sched
    assert not sched.running
    assert [o.code for o in rec.calls[0]] == ["LD-K1"]
