"""Re-shelving tasks: a confirmed stocktake found a box on another shelf and a keeper is to take it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.db import Base, UTCDateTime, utcnow


class ReshelveTask(Base):
    """One open task per box; it is deleted when the box is put away (the move is in the box's event log)."""

    __tablename__ = "reshelve_tasks"

    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"), primary_key=True)
    found_shelf_id: Mapped[int | None] = mapped_column(ForeignKey("shelves.id", ondelete="SET NULL"), nullable=True)
    stocktake_id: Mapped[int | None] = mapped_column(ForeignKey("stocktakes.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
