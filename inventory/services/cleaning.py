"""Cleaning schedules and tasks: create schedules, list what is due, mark tasks done.

The scheduler that turns schedules into tasks lives in ``inventory.cleaning`` (tools); it inserts tasks with
``ensure_task`` (unique on schedule + due time, so two processes cannot create the same task twice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import CleaningKind, CleaningSchedule, CleaningTask, Room, ShelvingUnit
from inventory.registry import get_room
from inventory.services.shelving import get_unit

_INTERVAL_RE = re.compile(r"^every\s+(\d+)\s*([mhdw])$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_interval(recurrence: str) -> timedelta | None:
    """``every 7d`` → 7 days; None if ``recurrence`` is not an interval (then it is a cron string)."""
    m = _INTERVAL_RE.match(recurrence.strip())
    if not m:
        return None
    return timedelta(seconds=int(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()])


def check_recurrence(recurrence: str) -> str:
    """Validate ``every <N><m|h|d|w>`` or a 5-field cron string; returns it normalised."""
    rec = " ".join(recurrence.split())
    interval = parse_interval(rec)
    if interval is not None:
        if interval < timedelta(hours=1):
            raise RegistryError("cleaning recurrence must be at least one hour")
        return rec.lower()
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(rec, timezone="UTC")
    except ValueError as e:
        raise RegistryError(f"recurrence {recurrence!r} is neither 'every <N>d|w|h' nor a cron string: {e}") from None
    return rec


def create_schedule(
    session: Session,
    *,
    kind: str,
    recurrence: str,
    actor: str,
    site_code: str | None = None,
    room_code: str | None = None,
    unit_code: str | None = None,
    assignee: str = "",
    starts_at: datetime | None = None,
    notes: str = "",
) -> CleaningSchedule:
    """A cleaning schedule for a room (``site_code``+``room_code``) or a shelving unit (``unit_code``)."""
    try:
        kind = CleaningKind(kind).value
    except ValueError:
        raise RegistryError(f"unknown cleaning kind {kind!r}: use {', '.join(k.value for k in CleaningKind)}") from None
    if (unit_code is None) == (room_code is None):
        raise RegistryError("give either a room or a shelving unit")
    room_id = unit_id = None
    if unit_code is not None:
        unit_id = get_unit(session, unit_code).id
    else:
        if not site_code or not room_code:
            raise RegistryError("a room is named by site code and room code")
        room_id = get_room(session, site_code, room_code).id
    sch = CleaningSchedule(
        room_id=room_id,
        unit_id=unit_id,
        kind=kind,
        recurrence=check_recurrence(recurrence),
        assignee=assignee,
        starts_at=starts_at or utcnow(),
        notes=notes,
        created_by=actor,
    )
    session.add(sch)
    session.flush()
    return sch


def ensure_task(session: Session, schedule_id: int, due_at: datetime) -> CleaningTask | None:
    """Create the task of ``schedule_id`` due at ``due_at`` unless it exists; None if another process won."""
    exists = session.scalar(
        select(CleaningTask).where(CleaningTask.schedule_id == schedule_id, CleaningTask.due_at == due_at)
    )
    if exists is not None:
        return None
    task = CleaningTask(schedule_id=schedule_id, due_at=due_at)
    session.add(task)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return None
    return task


@dataclass(frozen=True, slots=True)
class TaskRow:
    """An open cleaning task with what it is about, for pages."""

    id: int
    kind: str
    scope: str  # room or unit code
    due_at: datetime
    assignee: str
    overdue: bool


def open_tasks_for_room(
    session: Session, room_id: int, *, now: datetime | None = None, horizon: timedelta = timedelta(days=1)
) -> list[TaskRow]:
    """Open tasks of the room and its shelving units due before now + ``horizon``, oldest first."""
    now = now or utcnow()
    unit_ids = select(ShelvingUnit.id).where(ShelvingUnit.room_id == room_id)
    rows = session.execute(
        select(CleaningTask, CleaningSchedule, ShelvingUnit.code, Room.code)
        .join(CleaningSchedule, CleaningTask.schedule_id == CleaningSchedule.id)
        .outerjoin(ShelvingUnit, CleaningSchedule.unit_id == ShelvingUnit.id)
        .outerjoin(Room, CleaningSchedule.room_id == Room.id)
        .where(
            CleaningTask.done_at.is_(None),
            CleaningTask.due_at <= now + horizon,
            or_(CleaningSchedule.room_id == room_id, CleaningSchedule.unit_id.in_(unit_ids)),
        )
        .order_by(CleaningTask.due_at)
    )
    return [
        TaskRow(t.id, s.kind, unit_code or room_code or "", t.due_at, s.assignee, t.due_at < now)
        for t, s, unit_code, room_code in rows
    ]


def complete_task(session: Session, task_id: int, actor: str, note: str = "") -> CleaningTask:
    """Mark a cleaning task done by ``actor``."""
    task = session.get(CleaningTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"no cleaning task {task_id}")
    if task.done_at is not None:
        raise Conflict(f"task {task_id} was already done by {task.done_by}")
    task.done_at = utcnow()
    task.done_by = actor
    task.note = note
    session.flush()
    return task


def complete_due_tasks(
    session: Session, *, actor: str, room_id: int | None = None, unit_id: int | None = None, kind: str | None = None
) -> list[CleaningTask]:
    """Mark done every open, due task of a room or unit (what scanning its code on the cleaning page does)."""
    if (room_id is None) == (unit_id is None):
        raise RegistryError("give a room or a shelving unit")
    q = (
        select(CleaningTask)
        .join(CleaningSchedule)
        .where(CleaningTask.done_at.is_(None), CleaningTask.due_at <= utcnow() + timedelta(days=1))
    )
    q = (
        q.where(CleaningSchedule.room_id == room_id)
        if room_id is not None
        else q.where(CleaningSchedule.unit_id == unit_id)
    )
    if kind:
        q = q.where(CleaningSchedule.kind == kind)
    tasks = list(session.scalars(q))
    now = utcnow()
    for t in tasks:
        t.done_at = now
        t.done_by = actor
    session.flush()
    return tasks
