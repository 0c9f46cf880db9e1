"""Shelving: room → shelving unit (giá, tủ) → shelf (tầng, khoang) → slot (vị trí), with capacities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base, UTCDateTime, utcnow
from inventory.models.places import Room


class ShelvingUnit(Base):
    """A shelving unit or cabinet in a room; ``code`` is the human code printed on its label (e.g. ``K1-G03``)."""

    __tablename__ = "shelving_units"
    __table_args__ = (UniqueConstraint("room_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="shelving")  # shelving | cabinet | compactus
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    room: Mapped[Room] = relationship()
    shelves: Mapped[list[Shelf]] = relationship(back_populates="unit", order_by="Shelf.number")


class Shelf(Base):
    """One level (tầng) or compartment (khoang) of a shelving unit; stocktakes run per shelf."""

    __tablename__ = "shelves"
    __table_args__ = (UniqueConstraint("unit_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("shelving_units.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[ShelvingUnit] = relationship(back_populates="shelves")
    slots: Mapped[list[Slot]] = relationship(back_populates="shelf", order_by="Slot.number")


class Slot(Base):
    """A position on a shelf that holds up to ``capacity_boxes`` boxes / ``capacity_m`` linear metres."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("shelf_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    capacity_boxes: Mapped[int] = mapped_column(Integer, default=10)
    capacity_m: Mapped[float] = mapped_column(Numeric(8, 3, asdecimal=False), default=1.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    shelf: Mapped[Shelf] = relationship(back_populates="slots")
