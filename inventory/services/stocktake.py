"""Stocktake of one shelf: scan the shelf, scan every box on it, compare with what should be there, confirm."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import (
    Box,
    BoxEvent,
    BoxStatus,
    EventKind,
    LabelKind,
    ReshelveTask,
    Shelf,
    Slot,
    Stocktake,
    StocktakeScan,
    StocktakeState,
)
from inventory.services.labels import extract_token, resolve_label
from inventory.services.movements import clear_reshelve, place_box
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
        raise Conflict(f"stocktake {stocktake_id} is {st.state}", key="err_stocktake_closed")
    return st


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What one scan meant: ``found`` (belongs on this shelf), ``misplaced`` (belongs at ``belongs_at``),
    ``checked_out``, ``unknown`` (no box has this label), ``not_a_box`` (a slot or shelf label); ``duplicate`` when
    this label was already scanned in this stocktake; ``scanned`` counts the distinct labels so far."""

    status: str
    code: str
    belongs_at: str
    duplicate: bool
    scanned: int


def record_scan(session: Session, stocktake_id: int, scanned: str) -> ScanOutcome:
    """Record a scan (``scan_box``) and say what it meant, for the keeper's immediate tick."""
    st = _open(session, stocktake_id)
    raw = extract_token(scanned)[:200]
    before = session.scalar(
        select(StocktakeScan.id).where(StocktakeScan.stocktake_id == st.id, StocktakeScan.raw == raw)
    )
    scan = scan_box(session, stocktake_id, scanned)
    count = session.scalar(select(func.count()).where(StocktakeScan.stocktake_id == st.id)) or 0
    if scan.box_id is None:
        try:
            kind = resolve_label(session, raw).kind
        except NotFound:
            kind = ""
        status = "not_a_box" if kind else "unknown"
        return ScanOutcome(status, raw, "", before is not None, count)
    home = aliased(Slot)
    code, home_shelf, home_code, box_status = session.execute(
        select(Box.code, home.shelf_id, home.code, Box.status)
        .outerjoin(home, Box.home_slot_id == home.id)
        .where(Box.id == scan.box_id)
    ).one()
    if home_shelf == st.shelf_id:
        status = "checked_out" if box_status == BoxStatus.CHECKED_OUT else "found"
    else:
        status = "misplaced"
    return ScanOutcome(status, code, home_code or "", before is not None, count)


def scan_box(session: Session, stocktake_id: int, scanned: str) -> StocktakeScan:
    """Record one scanned label (URL, token or code); scanning the same label twice is harmless."""
    st = _open(session, stocktake_id)
    raw = extract_token(scanned)[:200]
    if not raw:
        raise NotFound("empty label", key="err_label_blank", field="label")
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


RESHELVE = "reshelve"
"""Decision for a misplaced box: leave it recorded where it was and have a keeper take it back to its slot."""


def confirm_stocktake(
    session: Session, stocktake_id: int, actor: str, decisions: dict[int, str | int] | None = None
) -> StocktakeResult:
    """Close the stocktake: a ``counted`` event for every scanned box, ``missing`` for every expected box not
    scanned (its status becomes missing); a missing box that turns up is back in place.

    Each misplaced box gets its ``decisions`` entry: a slot id on this shelf records it there (a placement event,
    its home unchanged), ``RESHELVE`` (the default) marks it to be taken back to its home slot."""
    st = _open(session, stocktake_id)
    res = stocktake_result(session, stocktake_id)
    decisions = decisions or {}
    now = utcnow()
    shelf: Shelf = st.shelf
    shelf_slots = {sl.id: sl for sl in shelf.slots}
    ids = [c.box_id for c in res.found + res.misplaced + res.missing]
    boxes = {b.id: b for b in session.scalars(select(Box).where(Box.id.in_(ids)))} if ids else {}
    for cb in res.misplaced:
        choice = decisions.get(cb.box_id, RESHELVE)
        if choice != RESHELVE and int(choice) not in shelf_slots:
            raise RegistryError(
                f"slot {choice} is not on shelf {shelf.code}", key="err_slot_not_on_shelf", shelf=shelf.code
            )
    for cb in res.found + res.misplaced:
        box = boxes[cb.box_id]
        misplaced = cb in res.misplaced
        session.add(
            BoxEvent(
                box_id=box.id,
                kind=EventKind.COUNTED.value,
                actor=actor,
                at=now,
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
        if not misplaced:
            if box.current_slot_id not in shelf_slots and box.status == BoxStatus.IN_PLACE:
                box.current_slot_id = box.home_slot_id  # recorded elsewhere but counted on its own shelf: home again
            clear_reshelve(session, box.id)
            continue
        choice = decisions.get(cb.box_id, RESHELVE)
        if choice == RESHELVE:
            clear_reshelve(session, box.id)
            session.add(
                ReshelveTask(
                    box_id=box.id, found_shelf_id=shelf.id, stocktake_id=st.id, created_at=now, created_by=actor
                )
            )
            continue
        slot = shelf_slots[int(choice)]
        if box.current_slot_id != slot.id:
            session.flush()
            place_box(session, box, slot, actor, reason="stocktake")
        clear_reshelve(session, box.id)
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
