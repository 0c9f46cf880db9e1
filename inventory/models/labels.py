"""Label tokens: the random part of ``<base URL>/s/<token>`` printed as QR on box, slot, shelf, unit and room labels."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.db import Base, UTCDateTime, utcnow


class LabelKind(StrEnum):
    BOX = "box"
    SLOT = "slot"
    SHELF = "shelf"
    UNIT = "unit"
    ROOM = "room"


class LabelToken(Base):
    """One label: ``token`` (≥ 96 random bits, never a database id) → (kind, target_id); ``code`` is the
    human code printed under the QR. A reprinted label gets a new token; the old one is kept, revoked."""

    __tablename__ = "label_tokens"
    __table_args__ = (UniqueConstraint("kind", "target_id", "token"),)

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
