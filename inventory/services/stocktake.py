"""Stocktake of one shelf: scan the shelf, scan every box on it, compare with what should be there, confirm."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from inventory.db import utcnow
from inventory.errors import Conflict, NotFound
from inventory.models import (
    Box,
    BoxEvent,
    BoxStatus,
    EventKind,
    LabelKind,
    Shelf,
    Slot,
    Stocktake,
    StocktakeScan,
    StocktakeState,
)
from inventory.services.labels import extract_token, resolve_label
from inventory.services.shelving import get_shelf


@dataclass(frozen=True, slots=True)
class CountedBox:
    """A box in a stocktake result; ``belongs_at`` is the code of its home slot."""

    box_id: int
    code: str
    belongs_at: str
    status: str


@dataclass
class StocktakeResult:
    """Found (belongs here, scanned), misplaced (scanned, belongs elsewhere), missing (belongs here, not scanned),
    checked out (belongs here, out with someone: not missing), unknown labels."""

    stocktake_id: int
    shelf_code: str
    state: str
    found: list[CountedBox] = field(default_factory=list)
    misplaced: list[CountedBox] = field(default_factory=list)
    missing: list[CountedBox] = field(default_factory=list)
    checked_out: list[CountedBox] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "found": len(self.found),
            "misplaced": len(self.misplaced),
            "missing": len(self.missing),
            "checked_out": len(self.checked_out),
            "unknown": len(self.unknown),
        }


def start_stocktake(session: Session, shelf_ref: str | int, actor: str) -> Stocktake:
    """Open a stocktake of a shelf (the open one is reused, so a second keeper joins it)."""
    shelf = get_shelf(session, shelf_ref)
    st = session.scalar(
        select(Stocktake).where(Stocktake.shelf_id == shelf.id, Stocktake.state == StocktakeState.OPEN.value)
    )
    if st is None:
        st = Stocktake(shelf_id=shelf.id, started_by=actor, started_at=utcnow())
        session.add(st)
        session.flush()
    return st


def get_stocktake(session: Session, stocktake_id: int) -> Stocktake:
    st = session.get(Stocktake, stocktake_id)
    if st is None:
        raise NotFound(f"no stocktake {stocktake_id}")
    return st


def _open(session: Session, stocktake_id: int) -> Stocktake:
    st = get_stocktake(session, stocktake_id)
    if st.state != StocktakeState.OPEN:
        raise Conflict(f"stocktake {stocktake_id} is {st.state}")
    return st


def scan_box(session: Session, stocktake_id: int, scanned: str) -> StocktakeScan:
    """Record one scanned label (URL, token or code); scanning the same label twice is harmless."""
    st = _open(session, stocktake_id)
    raw = extract_token(scanned)[:200]
    if not raw:
        raise NotFound("empty label")
    existing = session.scalar(
        select(StocktakeScan).where(StocktakeScan.stocktake_id == st.id, StocktakeScan.raw == raw)
    )
    if existing is not None:
        return existing
    box_id: int | None = None
    try:
        target = resolve_label(session, raw)
        if target.kind == LabelKind.BOX:
            box_id = target.target_id
    except NotFound:
        pass
    scan = StocktakeScan(stocktake_id=st.id, raw=raw, box_id=box_id, at=utcnow())
    session.add(scan)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same label scanned at the same moment by a second phone
        found = session.scalar(
            select(StocktakeScan).where(StocktakeScan.stocktake_id == st.id, StocktakeScan.raw == raw)
        )
        assert found is not None
        return found
    return scan


def stocktake_result(session: Session, stocktake_id: int) -> StocktakeResult:
    """Compare the scans with the boxes whose home slot is on the shelf (two queries, any shelf size)."""
    st = get_stocktake(session, stocktake_id)
    res = StocktakeResult(st.id, st.shelf.code, st.state)
    home = aliased(Slot)
    expected = {
        b_id: CountedBox(b_id, code, slot_code, status)
        for b_id, code, slot_code, status in session.execute(
            select(Box.id, Box.code, home.code, Box.status)
            .join(home, Box.home_slot_id == home.id)
            .where(home.shelf_id == st.shelf_id, Box.status != BoxStatus.HANDOVER.value)
            .order_by(Box.code)
        )
    }
    scanned_ids: set[int] = set()
    scanned_rows = session.execute(
        select(StocktakeScan.raw, StocktakeScan.box_id, Box.code, home.code, Box.status)
        .outerjoin(Box, Box.id == StocktakeScan.box_id)
        .outerjoin(home, Box.home_slot_id == home.id)
        .where(StocktakeScan.stocktake_id == st.id)
        .order_by(StocktakeScan.id)
    )
    for raw, box_id, code, home_code, status in scanned_rows:
        if box_id is None:
            res.unknown.append(raw)
        elif box_id in scanned_ids:
            continue
        elif box_id in expected:
            scanned_ids.add(box_id)
            res.found.append(expected[box_id])
        else:
            scanned_ids.add(box_id)
            res.misplaced.append(CountedBox(box_id, code, home_code or "", status))
    for b_id, cb in expected.items():
        if b_id in scanned_ids:
            continue
        (res.checked_out if cb.status == BoxStatus.CHECKED_OUT else res.missing).append(cb)
    return res


def confirm_stocktake(session: Session, stocktake_id: int, actor: str) -> StocktakeResult:
    """Close the stocktake: a ``counted`` event for every scanned box, ``missing`` for every expected box not
    scanned (its status becomes missing); a missing box that turns up is back in place."""
    st = _open(session, stocktake_id)
    res = stocktake_result(session, stocktake_id)
    now = utcnow()
    shelf: Shelf = st.shelf
    ids = [c.box_id for c in res.found + res.misplaced + res.missing]
    boxes = {b.id: b for b in session.scalars(select(Box).where(Box.id.in_(ids)))} if ids else {}
    for cb in res.found + res.misplaced:
        box = boxes[cb.box_id]
        misplaced = cb in res.misplaced
        session.add(
            BoxEvent(
                box_id=box.id,
                kind=EventKind.COUNTED.value,
                actor=actor,
                at=now,
                reason="misplaced" if misplaced else "",
                data={"stocktake": st.id, "shelf": shelf.code, "misplaced": misplaced},
            )
        )
        box.last_seen_at = now
        box.last_seen_shelf_id = shelf.id
        if box.status == BoxStatus.MISSING:
            box.status = BoxStatus.IN_PLACE.value
            box.status_since = now
            if not misplaced:
                box.current_slot_id = box.home_slot_id
    for cb in res.missing:
        box = boxes[cb.box_id]
        session.add(
            BoxEvent(
                box_id=box.id,
                kind=EventKind.MISSING.value,
                actor=actor,
                at=now,
                from_slot_id=box.current_slot_id,
                data={"stocktake": st.id, "shelf": shelf.code},
            )
        )
        box.status = BoxStatus.MISSING.value
        box.status_since = now
        box.current_slot_id = None
    st.state = StocktakeState.CONFIRMED.value
    st.confirmed_by = actor
    st.confirmed_at = now
    st.summary = res.summary()
    session.flush()
    res.state = st.state
    return res


def cancel_stocktake(session: Session, stocktake_id: int) -> None:
    """Abandon an open stocktake (nothing is recorded on the boxes)."""
    _open(session, stocktake_id).state = StocktakeState.CANCELLED.value
    session.flush()
