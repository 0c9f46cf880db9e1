"""Shelving units, shelves and slots: creation and lookup."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import Box, LabelKind, Shelf, ShelvingUnit, Slot
from inventory.registry import get_room
from inventory.services.labels import ensure_label


def create_shelving(
    session: Session,
    site_code: str,
    room_code: str,
    number: int,
    *,
    shelves: int = 5,
    slots_per_shelf: int = 6,
    capacity_boxes: int = 10,
    capacity_m: float = 1.0,
    code: str | None = None,
    name: str = "",
    kind: str = "shelving",
) -> ShelvingUnit:
    """Add shelving unit ``number`` to a room with its shelves (tầng) and slots (vị trí), each with a label.

    Codes: unit ``<room>-G<nn>`` (or ``code``), shelf ``<unit>-T<n>``, slot ``<shelf>-V<nn>``.
    """
    if number < 1 or shelves < 1 or slots_per_shelf < 1 or shelves > 50 or slots_per_shelf > 200:
        raise RegistryError("unit number, shelves (≤ 50) and slots per shelf (≤ 200) must be positive")
    if capacity_boxes < 1 or capacity_m <= 0:
        raise RegistryError("slot capacity must be at least 1 box and more than 0 m")
    room = get_room(session, site_code, room_code)
    if session.scalar(select(ShelvingUnit.id).where(ShelvingUnit.room_id == room.id, ShelvingUnit.number == number)):
        raise Conflict(f"shelving unit {number} already exists in room {site_code}/{room_code}")
    unit_code = (code or f"{room.code}-G{number:02d}").upper()
    if session.scalar(select(ShelvingUnit.id).where(ShelvingUnit.code == unit_code)):
        if code:
            raise Conflict(f"code {unit_code} is already used")
        unit_code = f"{site_code}-{unit_code}".upper()
        if session.scalar(select(ShelvingUnit.id).where(ShelvingUnit.code == unit_code)):
            raise Conflict(f"code {unit_code} is already used")
    unit = ShelvingUnit(room_id=room.id, number=number, code=unit_code, name=name, kind=kind)
    session.add(unit)
    session.flush()
    ensure_label(session, LabelKind.UNIT, unit.id, unit.code)
    for s in range(1, shelves + 1):
        add_shelf(session, unit, s, slots_per_shelf, capacity_boxes, capacity_m)
    return unit


def add_shelf(
    session: Session, unit: ShelvingUnit, number: int, slots: int, capacity_boxes: int = 10, capacity_m: float = 1.0
) -> Shelf:
    """Add one shelf with ``slots`` slots to a unit."""
    shelf = Shelf(unit_id=unit.id, number=number, code=f"{unit.code}-T{number}")
    session.add(shelf)
    session.flush()
    ensure_label(session, LabelKind.SHELF, shelf.id, shelf.code)
    new = [
        Slot(
            shelf_id=shelf.id,
            number=n,
            code=f"{shelf.code}-V{n:02d}",
            capacity_boxes=capacity_boxes,
            capacity_m=capacity_m,
        )
        for n in range(1, slots + 1)
    ]
    session.add_all(new)
    session.flush()
    for slot in new:
        ensure_label(session, LabelKind.SLOT, slot.id, slot.code)
    return shelf


def get_unit(session: Session, code: str) -> ShelvingUnit:
    unit = session.scalar(select(ShelvingUnit).where(ShelvingUnit.code == code.strip().upper()))
    if unit is None:
        raise NotFound(f"no shelving unit {code}")
    return unit


def get_shelf(session: Session, ref: str | int) -> Shelf:
    """A shelf by id, code or label token."""
    if isinstance(ref, int):
        shelf = session.get(Shelf, ref)
    else:
        from inventory.services.labels import resolve_label

        target = resolve_label(session, ref)
        shelf = session.get(Shelf, target.target_id) if target.kind == LabelKind.SHELF else None
    if shelf is None:
        raise NotFound(f"no shelf {ref}")
    return shelf


def get_slot(session: Session, ref: str | int) -> Slot:
    """A slot by id, code or label token."""
    if isinstance(ref, int):
        slot = session.get(Slot, ref)
    else:
        from inventory.services.labels import resolve_label

        try:
            target = resolve_label(session, ref)
        except NotFound:
            raise NotFound(f"no slot {ref}", key="err_no_slot", field="slot", code=ref) from None
        if target.kind != LabelKind.SLOT:
            raise NotFound(
                f"{ref} is a {target.kind} label, not a slot",
                key="err_not_a_slot",
                field="slot",
                code=ref,
                kind=str(target.kind),
            )
        slot = session.get(Slot, target.target_id)
    if slot is None:
        raise NotFound(f"no slot {ref}", key="err_no_slot", field="slot", code=ref)
    return slot


def slot_usage(session: Session, slot_id: int) -> tuple[int, float]:
    """(boxes, linear metres) currently in a slot."""
    n, m = session.execute(
        select(func.count(Box.id), func.coalesce(func.sum(Box.width_m), 0.0)).where(Box.current_slot_id == slot_id)
    ).one()
    return int(n), float(m)
