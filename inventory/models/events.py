"""The append-only box event log, and stocktakes (count a shelf by scanning its boxes)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base, UTCDateTime, utcnow
from inventory.models.storage import Shelf


class EventKind(StrEnum):
    CREATED = "created"
    PLACED = "placed"
    MOVED = "moved"
    CHECKED_OUT = "checked_out"
    RETURNED = "returned"
    CLEANED = "cleaned"
    INSPECTED = "inspected"
    DAMAGED = "damaged"
    COUNTED = "counted"
    MISSING = "missing"
    HANDED_OVER = "handed_over"
    DESTROYED = "destroyed"


class BoxEvent(Base):
    """Something that happened to a box. Rows are only ever inserted (no API edits or deletes them)."""

    __tablename__ = "box_events"
    __table_args__ = (Index("ix_box_events_box_id_at", "box_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    from_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"), nullable=True)
    to_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"), nullable=True)
    custodian: Mapped[str] = mapped_column(String(200), default="")  # checked out to whom
    reason: Mapped[str] = mapped_column(Text, default="")
    due_back: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Kind-specific details: damage kind/photo, checkout purpose, stocktake id, ...
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StocktakeState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Stocktake(Base):
    """A count of one shelf: started, boxes scanned, then confirmed (which writes count/missing events)."""

    __tablename__ = "stocktakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=StocktakeState.OPEN.value)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_by: Mapped[str] = mapped_column(String(100), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    shelf: Mapped[Shelf] = relationship()
    scans: Mapped[list[StocktakeScan]] = relationship(
        back_populates="stocktake", order_by="StocktakeScan.id", cascade="all, delete-orphan"
    )


class StocktakeScan(Base):
    """One scanned label in a stocktake; ``box_id`` is empty for labels that resolve to no box."""

    __tablename__ = "stocktake_scans"
    __table_args__ = (UniqueConstraint("stocktake_id", "raw"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id", ondelete="CASCADE"))
    raw: Mapped[str] = mapped_column(String(200))
    box_id: Mapped[int | None] = mapped_column(ForeignKey("boxes.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    slot_number: Mapped[int | None] = mapped_column(Integer, nullable=True)

    stocktake: Mapped[Stocktake] = relationship(back_populates="scans")
