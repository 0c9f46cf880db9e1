"""Statistics: per fonds (boxes, files, linear metres, processed vs backlog) and per room (occupancy)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from inventory.models import Box, BoxStatus, File, Fonds, ProcessingState, Room, Shelf, ShelvingUnit, Site, Slot


@dataclass(frozen=True)
class FondsStats:
    code: str
    name: str
    boxes: int
    files: int
    metres: float
    processed_boxes: int
    backlog_boxes: int


@dataclass(frozen=True)
class RoomStats:
    site: str
    room: str
    slots: int
    capacity_boxes: int
    capacity_m: float
    boxes: int
    metres: float

    @property
    def occupancy_pct(self) -> float:
        """Share of the room's box places that hold a box (0 when it has no shelving)."""
        return 100.0 * self.boxes / self.capacity_boxes if self.capacity_boxes else 0.0


def fonds_stats(session: Session) -> list[FondsStats]:
    """One line per fonds, in code order (fonds without boxes included)."""
    files = (
        select(Box.fonds_id, func.count(File.id).label("n"))
        .join(File, File.box_id == Box.id)
        .group_by(Box.fonds_id)
        .subquery()
    )
    boxes = (
        select(
            Box.fonds_id,
            func.count(Box.id).label("n"),
            func.coalesce(func.sum(Box.width_m), 0).label("m"),
            func.sum(case((Box.processing_state == ProcessingState.PROCESSED.value, 1), else_=0)).label("p"),
            func.sum(case((Box.processing_state == ProcessingState.BACKLOG.value, 1), else_=0)).label("b"),
        )
        .group_by(Box.fonds_id)
        .subquery()
    )
    q = (
        select(Fonds.code, Fonds.name, boxes.c.n, files.c.n, boxes.c.m, boxes.c.p, boxes.c.b)
        .outerjoin(boxes, boxes.c.fonds_id == Fonds.id)
        .outerjoin(files, files.c.fonds_id == Fonds.id)
        .order_by(Fonds.code)
    )
    return [
        FondsStats(code, name, int(nb or 0), int(nf or 0), round(float(m or 0), 3), int(p or 0), int(b or 0))
        for code, name, nb, nf, m, p, b in session.execute(q)
    ]


def room_stats(session: Session) -> list[RoomStats]:
    """One line per room: slot capacity and the boxes now in its slots (checked-out boxes do not count)."""
    cap = (
        select(
            ShelvingUnit.room_id,
            func.count(Slot.id).label("slots"),
            func.coalesce(func.sum(Slot.capacity_boxes), 0).label("cb"),
            func.coalesce(func.sum(Slot.capacity_m), 0).label("cm"),
        )
        .join(Shelf, Shelf.unit_id == ShelvingUnit.id)
        .join(Slot, Slot.shelf_id == Shelf.id)
        .group_by(ShelvingUnit.room_id)
        .subquery()
    )
    used = (
        select(ShelvingUnit.room_id, func.count(Box.id).label("n"), func.coalesce(func.sum(Box.width_m), 0).label("m"))
        .join(Shelf, Shelf.unit_id == ShelvingUnit.id)
        .join(Slot, Slot.shelf_id == Shelf.id)
        .join(Box, Box.current_slot_id == Slot.id)
        .where(Box.status == BoxStatus.IN_PLACE.value)
        .group_by(ShelvingUnit.room_id)
        .subquery()
    )
    q = (
        select(Site.code, Room.code, cap.c.slots, cap.c.cb, cap.c.cm, used.c.n, used.c.m)
        .join(Site, Site.id == Room.site_id)
        .outerjoin(cap, cap.c.room_id == Room.id)
        .outerjoin(used, used.c.room_id == Room.id)
        .order_by(Site.code, Room.code)
    )
    return [
        RoomStats(site, room, int(s or 0), int(cb or 0), round(float(cm or 0), 3), int(n or 0), round(float(m or 0), 3))
        for site, room, s, cb, cm, n, m in session.execute(q)
    ]
