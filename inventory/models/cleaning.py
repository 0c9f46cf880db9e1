"""Cleaning schedules (per room or shelving unit) and the tasks the scheduler creates from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base, UTCDateTime, utcnow
from inventory.models.places import Room
from inventory.models.storage import ShelvingUnit


class CleaningKind(StrEnum):
    FLOOR = "floor"
    DUSTING = "dusting"
    PEST_INSPECTION = "pest_inspection"
    DISINFECTION = "disinfection"


class CleaningSchedule(Base):
    """Recurring cleaning of a room or a shelving unit (exactly one of ``room_id``/``unit_id``).

    ``recurrence`` is either an interval ``every <N><m|h|d|w>`` (e.g. ``every 7d``) or a 5-field cron
    string (``0 8 * * mon``); the scheduler interprets it from ``starts_at``.
    """

    __tablename__ = "cleaning_schedules"
    __table_args__ = (CheckConstraint("(room_id IS NULL) <> (unit_id IS NULL)", name="one_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("shelving_units.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    recurrence: Mapped[str] = mapped_column(String(100))
    assignee: Mapped[str] = mapped_column(String(64), default="")  # username
    active: Mapped[bool] = mapped_column(default=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    room: Mapped[Room | None] = relationship()
    unit: Mapped[ShelvingUnit | None] = relationship()
    tasks: Mapped[list[CleaningTask]] = relationship(back_populates="schedule", order_by="CleaningTask.due_at")


class CleaningTask(Base):
    """One occurrence of a schedule. Unique (schedule_id, due_at): two schedulers cannot double-create it."""

    __tablename__ = "cleaning_tasks"
    __table_args__ = (
        UniqueConstraint("schedule_id", "due_at"),
        Index("ix_cleaning_tasks_done_at_due_at", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("cleaning_schedules.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    schedule: Mapped[CleaningSchedule] = relationship(back_populates="tasks")
