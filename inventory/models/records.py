"""Records: fonds (phông) → catalogue (mục lục) → box (hộp) → file (hồ sơ)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base, UTCDateTime, utcnow
from inventory.models.storage import Slot
from inventory.textnorm import normalize


class BoxStatus(StrEnum):
    """Where a box is, derived from its events and kept on the box row for speed."""

    UNPLACED = "unplaced"  # created, never put away
    IN_PLACE = "in_place"
    CHECKED_OUT = "checked_out"
    MISSING = "missing"  # expected in a stocktake, not found
    HANDOVER = "handover"  # handed over (bàn giao) to another archive
    DESTROYED = "destroyed"  # its files were destroyed (tiêu hủy); the record stays, marked


class ProcessingState(StrEnum):
    """Chỉnh lý (arranged, described) or tồn đọng (unprocessed backlog)."""

    PROCESSED = "processed"
    BACKLOG = "backlog"


class Media(StrEnum):
    PAPER = "paper"
    PHOTO = "photo"
    FILM = "film"
    MAGNETIC = "magnetic"
    DIGITAL = "digital"
    MIXED = "mixed"


class Access(StrEnum):
    OPEN = "open"
    RESTRICTED = "restricted"
    SECRET = "secret"


class Fonds(Base):
    """A fonds (phông lưu trữ): all records of one organisation; ``code`` e.g. ``P12``."""

    __tablename__ = "fonds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    date_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    catalogues: Mapped[list[Catalogue]] = relationship(back_populates="fonds", order_by="Catalogue.number")


class Catalogue(Base):
    """A catalogue / file list (mục lục hồ sơ) of a fonds, numbered within it."""

    __tablename__ = "catalogues"
    __table_args__ = (UniqueConstraint("fonds_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    fonds: Mapped[Fonds] = relationship(back_populates="catalogues")


class Box(Base):
    """An archive box. Current place and custody are denormalised from the event log (same transaction);
    ``version`` gives optimistic concurrency: a stale update raises a conflict instead of overwriting."""

    __tablename__ = "boxes"
    __table_args__ = (
        UniqueConstraint("catalogue_id", "number"),
        Index("ix_boxes_current_slot_id_status", "current_slot_id", "status"),
        Index("ix_boxes_status_due_back", "status", "due_back"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("catalogues.id", ondelete="RESTRICT"))
    # Denormalised from the catalogue so per-fonds lists and stats need no join.
    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    date_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    media: Mapped[str] = mapped_column(String(16), default=Media.PAPER.value)
    processing_state: Mapped[str] = mapped_column(String(16), default=ProcessingState.PROCESSED.value)
    condition: Mapped[str] = mapped_column(String(32), default="good")
    width_m: Mapped[float] = mapped_column(Numeric(6, 3, asdecimal=False), default=0.1)
    notes: Mapped[str] = mapped_column(Text, default="")

    home_slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("slots.id", ondelete="SET NULL"), nullable=True, index=True
    )
    current_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=BoxStatus.UNPLACED.value)
    custodian: Mapped[str] = mapped_column(String(200), default="")
    checkout_purpose: Mapped[str] = mapped_column(String(32), default="")
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    due_back: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_cleaned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Shelf of the last stocktake that counted it (may differ from the home shelf: misplaced).
    last_seen_shelf_id: Mapped[int | None] = mapped_column(ForeignKey("shelves.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    catalogue: Mapped[Catalogue] = relationship()
    fonds: Mapped[Fonds] = relationship()
    home_slot: Mapped[Slot | None] = relationship(foreign_keys=[home_slot_id])
    current_slot: Mapped[Slot | None] = relationship(foreign_keys=[current_slot_id])
    files: Mapped[list[File]] = relationship(back_populates="box", order_by="File.number")


def _title_norm(ctx: DefaultExecutionContext) -> str:
    params: dict[str, Any] = ctx.get_current_parameters()
    return normalize(params.get("title") or "")


class File(Base):
    """A file (hồ sơ) in a box. ``title_norm`` (lower case, no diacritics) feeds full-text search;
    it is filled automatically on insert, also by bulk Core inserts."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("box_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    title_norm: Mapped[str] = mapped_column(Text, default=_title_norm)
    date_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    # None = vĩnh viễn (permanent), otherwise keep for N years.
    retention_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    access: Mapped[str] = mapped_column(String(16), default=Access.OPEN.value)
    condition: Mapped[str] = mapped_column(String(32), default="good")
    notes: Mapped[str] = mapped_column(Text, default="")

    box: Mapped[Box] = relationship(back_populates="files")
