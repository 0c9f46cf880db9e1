"""Task creation from schedules, completion by scanning a room/unit label, and overdue detection.

Every step is safe to run in several processes at once: tasks are unique on (schedule, due time) and an
overdue task is claimed with a conditional UPDATE before anyone is notified. Reads and writes run in separate
transactions so that on SQLite a writer never holds a stale read snapshot (which fails at once instead of waiting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from inventory.cleaning.providers import OverdueTask
from inventory.cleaning.recurrence import latest_due
from inventory.db import utcnow
from inventory.errors import NotFound, RegistryError
from inventory.models import CleaningSchedule, CleaningTask, LabelKind, Room, ShelvingUnit, Site
from inventory.services.cleaning import complete_due_tasks, ensure_task
from inventory.services.labels import resolve_label

DEFAULT_OVERDUE_AFTER = timedelta(days=1)


@dataclass
class TickResult:
    """What one scheduler pass did."""

    created: list[int] = field(default_factory=list)  # task ids
    overdue: list[OverdueTask] = field(default_factory=list)  # newly overdue (claimed by this process)


def _site_timezones(session: Session) -> dict[int, str]:
    """Schedule id → time zone of its site (cron lines are local time: "08:00 on Mondays" in Hà Nội)."""
    rows = session.execute(
        select(CleaningSchedule.id, Site.timezone)
        .select_from(CleaningSchedule)
        .outerjoin(ShelvingUnit, ShelvingUnit.id == CleaningSchedule.unit_id)
        .join(Room, Room.id == func.coalesce(CleaningSchedule.room_id, ShelvingUnit.room_id))
        .join(Site, Site.id == Room.site_id)
    )
    return {sid: tz for sid, tz in rows}


def due_occurrences(session: Session, now: datetime | None = None) -> list[tuple[int, datetime]]:
    """(schedule id, due time) of each active schedule's latest occurrence ≤ ``now`` that has no task yet.

    Missed occurrences (the app was down) collapse into the latest one, so a restart after a week
    creates one task per schedule, not seven.
    """
    now = now or utcnow()
    last = dict(
        session.execute(
            select(CleaningTask.schedule_id, func.max(CleaningTask.due_at)).group_by(CleaningTask.schedule_id)
        ).all()
    )
    tzs = _site_timezones(session)
    out: list[tuple[int, datetime]] = []
    for sid, recurrence, starts_at in session.execute(
        select(CleaningSchedule.id, CleaningSchedule.recurrence, CleaningSchedule.starts_at)
        .where(CleaningSchedule.active.is_(True))
        .order_by(CleaningSchedule.id)
    ):
        since = last.get(sid)
        if since is not None and since.tzinfo is None:  # SQLite aggregates bypass the column type
            since = since.replace(tzinfo=UTC)
        due = latest_due(recurrence, starts_at, now, tzs.get(sid, "UTC"), since=since)
        if due is not None:
            out.append((sid, due))
    return out


def insert_tasks(session: Session, items: list[tuple[int, datetime]]) -> list[int]:
    """Insert tasks, skipping any (schedule, due time) that exists; returns the ids this call created.

    ``INSERT … ON CONFLICT DO NOTHING`` on the unique (schedule_id, due_at): when two processes race,
    the database lets exactly one row in and neither transaction fails.
    """
    if not items:
        return []
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        created = [ensure_task(session, sid, due) for sid, due in items]
        return [t.id for t in created if t is not None]
    insert = pg_insert if name == "postgresql" else sqlite_insert
    now = utcnow()
    ids: list[int] = []
    for sid, due in items:
        stmt = (
            insert(CleaningTask)
            .values(schedule_id=sid, due_at=due, done_by="", note="", created_at=now)
            .on_conflict_do_nothing(index_elements=["schedule_id", "due_at"])
            .returning(CleaningTask.id)
        )
        tid = session.execute(stmt).scalar_one_or_none()
        if tid is not None:
            ids.append(tid)
    return ids


def create_due_tasks(session: Session, now: datetime | None = None) -> list[int]:
    """Create the due tasks in one transaction (the scheduler splits reading and writing, see ``tick``)."""
    return insert_tasks(session, due_occurrences(session, now))


def overdue_candidates(
    session: Session, now: datetime | None = None, overdue_after: timedelta = DEFAULT_OVERDUE_AFTER
) -> list[OverdueTask]:
    """Open tasks past ``due_at + overdue_after`` nobody has flagged yet."""
    now = now or utcnow()
    rows = session.execute(
        select(
            CleaningTask.id,
            CleaningTask.schedule_id,
            CleaningTask.due_at,
            CleaningSchedule.kind,
            CleaningSchedule.assignee,
            CleaningSchedule.unit_id,
            ShelvingUnit.code,
            Room.code,
            Site.code,
        )
        .select_from(CleaningTask)
        .join(CleaningSchedule, CleaningSchedule.id == CleaningTask.schedule_id)
        .outerjoin(ShelvingUnit, ShelvingUnit.id == CleaningSchedule.unit_id)
        .join(Room, Room.id == func.coalesce(CleaningSchedule.room_id, ShelvingUnit.room_id))
        .join(Site, Site.id == Room.site_id)
        .where(
            CleaningTask.done_at.is_(None),
            CleaningTask.overdue_notified_at.is_(None),
            CleaningTask.due_at < now - overdue_after,
        )
        .order_by(CleaningTask.due_at)
    ).all()
    out = []
    for tid, sid, due, kind, assignee, unit_id, unit_code, room_code, site_code in rows:
        is_unit = unit_id is not None
        out.append(
            OverdueTask(
                task_id=tid,
                schedule_id=sid,
                kind=kind,
                scope="unit" if is_unit else "room",
                code=unit_code if is_unit else f"{site_code}-{room_code}",
                site=site_code,
                room=room_code,
                due_at=due,
                assignee=assignee,
            )
        )
    return out


def claim_overdue(session: Session, candidates: list[OverdueTask], now: datetime | None = None) -> list[OverdueTask]:
    """Record candidates as overdue; returns those this call claimed.

    The claim is ``UPDATE … WHERE overdue_notified_at IS NULL``: with two app processes each task is
    returned (and so notified) by exactly one of them.
    """
    now = now or utcnow()
    claimed = []
    for c in candidates:
        res = session.execute(
            update(CleaningTask)
            .where(CleaningTask.id == c.task_id, CleaningTask.overdue_notified_at.is_(None))
            .values(overdue_notified_at=now)
        )
        if getattr(res, "rowcount", 0) == 1:
            claimed.append(c)
    return claimed


def mark_overdue(
    session: Session, now: datetime | None = None, overdue_after: timedelta = DEFAULT_OVERDUE_AFTER
) -> list[OverdueTask]:
    """Find and claim overdue tasks in one transaction."""
    return claim_overdue(session, overdue_candidates(session, now, overdue_after), now)


def complete_task_by_scan(session: Session, scanned: str, actor: str, kind: str | None = None) -> list[CleaningTask]:
    """Mark done the open, due cleaning tasks of the room or shelving unit whose label was scanned.

    ``scanned`` is the label URL, token or human code. Raises NotFound for an unknown label or when nothing
    is due there, RegistryError when the label is not a room or unit (e.g. a box).
    """
    target = resolve_label(session, scanned)
    if target.kind == LabelKind.ROOM:
        done = complete_due_tasks(session, actor=actor, room_id=target.target_id, kind=kind)
    elif target.kind == LabelKind.UNIT:
        done = complete_due_tasks(session, actor=actor, unit_id=target.target_id, kind=kind)
    else:
        raise RegistryError(
            f"{target.code} is a {target.kind} label: scan the room or shelving unit label (quét mã phòng hoặc mã giá)"
        )
    if not done:
        raise NotFound(f"no cleaning task is due for {target.code} (không có việc vệ sinh nào đến hạn)")
    return done
