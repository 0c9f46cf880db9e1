"""Label records from the database: boxes of a fonds, or the slots, shelves, units and rooms holding them."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inventory.db import utcnow
from inventory.errors import NotFound, RegistryError
from inventory.labels.records import LabelRecord
from inventory.models import (
    Box,
    Catalogue,
    Fonds,
    LabelKind,
    LabelToken,
    Room,
    Shelf,
    ShelvingUnit,
    Site,
    Slot,
)
from inventory.services.labels import new_token, room_code


class What(StrEnum):
    BOXES = "boxes"
    SLOTS = "slots"
    SHELVES = "shelves"
    UNITS = "units"
    ROOMS = "rooms"


_KIND = {
    What.BOXES: LabelKind.BOX,
    What.SLOTS: LabelKind.SLOT,
    What.SHELVES: LabelKind.SHELF,
    What.UNITS: LabelKind.UNIT,
    What.ROOMS: LabelKind.ROOM,
}


def date_range(start: date | None, end: date | None) -> str:
    """``1995–2003`` for whole years, ``01/02/1996–30/11/1996`` otherwise, ``""`` if unknown."""
    if not start and not end:
        return ""
    if start and end and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    a = start.strftime("%d/%m/%Y") if start else "…"
    b = end.strftime("%d/%m/%Y") if end else "…"
    return f"{a}–{b}"


def _tokens(session: Session, kind: LabelKind, targets: list[tuple[int, str]]) -> dict[int, str]:
    """Active tokens of the targets; those without one get a new token (bulk insert)."""
    have: dict[int, str] = {}
    ids = [i for i, _c in targets]
    for i in range(0, len(ids), 5000):
        for tid, tok in session.execute(
            select(LabelToken.target_id, LabelToken.token).where(
                LabelToken.kind == kind.value,
                LabelToken.target_id.in_(ids[i : i + 5000]),
                LabelToken.revoked_at.is_(None),
            )
        ):
            have[tid] = tok
    missing = [(i, c) for i, c in targets if i not in have]
    if missing:
        now = utcnow()
        fresh = {i: new_token() for i, _c in missing}
        session.execute(
            insert(LabelToken),
            [dict(token=fresh[i], kind=kind.value, target_id=i, code=c, created_at=now) for i, c in missing],
        )
        have.update(fresh)
    return have


def _fonds_slot_ids(session: Session, fonds: str) -> list[int]:
    q = (
        select(Box.home_slot_id)
        .join(Fonds, Fonds.id == Box.fonds_id)
        .where(Fonds.code == fonds, Box.home_slot_id.is_not(None))
        .distinct()
    )
    return [i for i in session.scalars(q) if i is not None]


def label_records(session: Session, what: What | str, fonds: str | None = None) -> list[LabelRecord]:
    """The labels to print, in code order. With ``fonds``, slots/shelves/units/rooms are those where the fonds'
    boxes belong (their home slots). Missing label tokens are created (the caller commits)."""
    what = What(what)
    fcode = fonds.strip().upper() if fonds else None
    if fcode is not None and session.scalar(select(Fonds.id).where(Fonds.code == fcode)) is None:
        raise NotFound(f"no fonds {fcode} / không có phông {fcode}")
    if what is What.BOXES:
        return _box_records(session, fcode)
    slot_ids = _fonds_slot_ids(session, fcode) if fcode else None
    if slot_ids is not None and not slot_ids:
        raise RegistryError(f"no box of fonds {fcode} has a place yet / chưa hộp nào của phông {fcode} có vị trí")
    q = (
        select(Slot, Shelf, ShelvingUnit, Room, Site)
        .join(Shelf, Shelf.id == Slot.shelf_id)
        .join(ShelvingUnit, ShelvingUnit.id == Shelf.unit_id)
        .join(Room, Room.id == ShelvingUnit.room_id)
        .join(Site, Site.id == Room.site_id)
    )
    if slot_ids is not None:
        q = q.where(Slot.id.in_(slot_ids))
    rows = session.execute(q.order_by(Site.code, Room.code, ShelvingUnit.number, Shelf.number, Slot.number)).all()
    items: dict[int, tuple[str, tuple[str, ...]]] = {}
    for slot, shelf, unit, room, site in rows:
        place = f"{room.name} ({site.code}-{room.code})"
        if what is What.SLOTS:
            items[slot.id] = (
                slot.code,
                (
                    "VỊ TRÍ / SLOT",
                    place,
                    f"Giá {unit.number} · Tầng {shelf.number} · Vị trí {slot.number}",
                    f"Sức chứa: {slot.capacity_boxes} hộp, {float(slot.capacity_m):g} m",
                ),
            )
        elif what is What.SHELVES:
            items.setdefault(
                shelf.id, (shelf.code, ("TẦNG / SHELF", place, f"Giá {unit.number} · Tầng {shelf.number}"))
            )
        elif what is What.UNITS:
            items.setdefault(unit.id, (unit.code, ("GIÁ / SHELVING UNIT", place, f"Giá số {unit.number}", unit.name)))
        else:
            items.setdefault(room.id, (room_code(room, site), ("PHÒNG KHO / ROOM", room.name, site.name)))
    if what is What.ROOMS and slot_ids is None:
        for room, site in session.execute(
            select(Room, Site).join(Site, Site.id == Room.site_id).order_by(Site.code, Room.code)
        ).all():
            items.setdefault(room.id, (room_code(room, site), ("PHÒNG KHO / ROOM", room.name, site.name)))
    kind = _KIND[what]
    tokens = _tokens(session, kind, [(i, code) for i, (code, _l) in items.items()])
    return [
        LabelRecord(token=tokens[i], code=code, kind=kind.value, lines=tuple(x for x in lines if x))
        for i, (code, lines) in items.items()
    ]


def _only_dates(title: str, dates: str) -> bool:
    """Whether a box title says nothing but its dates ("Năm 1995", "1995–2003")."""
    rest = title.replace(dates, " ")
    rest = re.sub(r"(?i)\b(năm|nam|year|từ|đến)\b", " ", rest)
    return rest != title and not re.sub(r"[\s,.:;–-]", "", rest)


def _box_records(session: Session, fonds: str | None) -> list[LabelRecord]:
    q = (
        select(
            Box.id,
            Box.code,
            Box.number,
            Box.title,
            Box.date_from,
            Box.date_to,
            Fonds.code,
            Fonds.name,
            Catalogue.number,
        )
        .join(Fonds, Fonds.id == Box.fonds_id)
        .join(Catalogue, Catalogue.id == Box.catalogue_id)
        .order_by(Fonds.code, Catalogue.number, Box.number)
    )
    if fonds:
        q = q.where(Fonds.code == fonds)
    rows = session.execute(q).all()
    if not rows:
        raise NotFound(f"no boxes{' of fonds ' + fonds if fonds else ''} / không có hộp nào")
    tokens = _tokens(session, LabelKind.BOX, [(r[0], r[1]) for r in rows])
    out = []
    for bid, code, number, title, dfrom, dto, fcode, fname, cat in rows:
        dates = date_range(dfrom, dto)
        if dates and _only_dates(title, dates):
            title = ""  # "Năm 1995" beside "1995": print the year once
        lines = (f"Phông {fcode} – {fname}", f"Mục lục số {cat}", f"Hộp số {number}", dates, title)
        out.append(
            LabelRecord(token=tokens[bid], code=code, kind=LabelKind.BOX.value, lines=tuple(x for x in lines if x))
        )
    return out
