"""Sites (kho lưu trữ) and rooms (phòng kho)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base, UTCDateTime, utcnow

# The zone of a site created without one, and of everything while no site exists (inventory.timezone).
DEFAULT_SITE_TIMEZONE = "Asia/Ho_Chi_Minh"


class Site(Base):
    """An archive storage site of one organisation."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    # Times of this site (pages, quiet hours, reports) are in this zone: inventory.timezone.
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_SITE_TIMEZONE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rooms: Mapped[list[Room]] = relationship(back_populates="site", order_by="Room.code")


class Room(Base):
    """A storage room; its climate class gives default limits, ``climate_overrides`` adjusts them."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    climate_class: Mapped[str] = mapped_column(String(16), default="paper")
    climate_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site] = relationship(back_populates="rooms")
