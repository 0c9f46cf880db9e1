"""What happens to a box: put away / move, check out, return, damage, cleaning, inspection, handover.

Every function appends one event and updates the box's denormalised columns in the same transaction.
``expected_version`` (what the caller's page showed) and the box's version column make concurrent changes of one
box fail with a Conflict instead of silently overwriting each other.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from inventory.archival.orgs import ensure_may_handle
from inventory.db import utcnow
from inventory.errors import Conflict, RegistryError
from inventory.limits import PHOTO_MAX_BYTES
from inventory.models import Box, BoxEvent, BoxStatus, EventKind, ReshelveTask, Slot
from inventory.photos import check_photo
from inventory.privatefiles import private_dir, write_private
from inventory.services.shelving import get_slot, slot_usage

CHECKOUT_PURPOSES = ("reading_room", "processing", "digitisation", "exhibition", "other")
DAMAGE_KINDS = ("mould", "water", "pests", "torn", "fire", "other")
MAX_PHOTO_BYTES = PHOTO_MAX_BYTES
CONDITIONS = ("good", "fair", "poor")
"""What an inspection or treatment can record (a damage kind is recorded with a damage report)."""

# The room climate classes (inventory.climate) each media keeps well in; digital and mixed media suit any room.
_MEDIA_CLIMATE = {"paper": "paper", "photo": "photo", "film": "photo", "magnetic": "magnetic"}


def media_suits(media: str, climate_class: str) -> bool:
    """Whether a box of ``media`` belongs in a room of ``climate_class`` (paper in the film store does not)."""
    want = _MEDIA_CLIMATE.get(media)
    return want is None or want == climate_class


PLACEMENT_KINDS = frozenset(
    k.value
    for k in (
        EventKind.PLACED,
        EventKind.MOVED,
        EventKind.CHECKED_OUT,
        EventKind.RETURNED,
        EventKind.HANDED_OVER,
        EventKind.MISSING,
    )
)
"""Events that change where a box is or who has it: only these make a pending move or checkout stale. Cleaning,
damage notes, inspections and counts leave it valid."""


def _check_version(session: Session, box: Box, expected_version: int | None) -> None:
    """Refuse a move/checkout/return/handover prepared on a page that showed ``expected_version`` when the box has
    since been moved, checked out, returned, handed over or marked missing (each change of a box is one event and
    one version step, so the newest ``version - expected_version`` events are what happened since)."""
    if expected_version is None or expected_version == box.version:
        return
    since = box.version - expected_version
    recent = (
        list(
            session.scalars(
                select(BoxEvent)
                .where(BoxEvent.box_id == box.id)
                .order_by(BoxEvent.at.desc(), BoxEvent.id.desc())
                .limit(min(since, 50))
            )
        )
        if since > 0
        else []
    )
    clash = next((e for e in recent if e.kind in PLACEMENT_KINDS), None)
    if clash is None and since > 0:
        return
    if clash is None:
        raise Conflict(
            f"box {box.code} was changed by someone else meanwhile (now version {box.version}, "
            f"you saw {expected_version}): reload and try again",
            key="err_changed",
            code=box.code,
        )
    slot = session.get(Slot, clash.to_slot_id) if clash.to_slot_id else None
    raise Conflict(
        f"box {box.code} was changed by someone else meanwhile: {clash.actor} recorded {clash.kind} "
        f"at {clash.at:%Y-%m-%d %H:%M}; reload and try again",
        key="err_conflict_by",
        code=box.code,
        actor=clash.actor,
        kind=clash.kind,
        at=clash.at,
        slot=slot.code if slot else "",
        custodian=clash.custodian,
    )


def _flush(session: Session, box: Box) -> None:
    code = box.code  # read before the flush: after a failed one the session cannot load attributes
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            f"box {code} was changed by someone else at the same time: reload and try again",
            key="err_changed",
            code=code,
        ) from None


def _event(session: Session, box: Box, kind: EventKind, actor: str, **kw: Any) -> BoxEvent:
    ev = BoxEvent(box_id=box.id, kind=kind.value, actor=actor, at=utcnow(), **kw)
    session.add(ev)
    return ev


def clear_reshelve(session: Session, box_id: int) -> None:
    """Remove the box's re-shelving task, if it has one. A move, checkout or return also ends it without this:
    a task is open only while it is newer than the box's ``status_since`` (see ``open_reshelve``)."""
    session.execute(delete(ReshelveTask).where(ReshelveTask.box_id == box_id))


def open_reshelve() -> ColumnElement[bool]:
    """Condition (on ``ReshelveTask`` joined to ``Box``) of the tasks nobody has done yet: the box has not been
    put away, checked out or returned since the stocktake that asked for it."""
    return (ReshelveTask.box_id == Box.id) & (
        Box.status_since.is_(None) | (ReshelveTask.created_at >= Box.status_since)
    )


def _lock_slot_with_room(session: Session, slot: Slot, box: Box) -> None:
    # Lock the slot row (PostgreSQL) so two boxes cannot take its last place at once; SQLite serialises writers.
    session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
    n, metres = slot_usage(session, slot.id)
    if box.current_slot_id == slot.id:
        return
    if n >= slot.capacity_boxes:
        raise Conflict(
            f"slot {slot.code} is full ({n}/{slot.capacity_boxes} boxes)",
            key="err_slot_full",
            field="slot",
            slot=slot.code,
            used=n,
            capacity=slot.capacity_boxes,
        )
    if metres + float(box.width_m) > float(slot.capacity_m) + 1e-9:
        raise Conflict(
            f"slot {slot.code} is full ({metres:.2f}/{float(slot.capacity_m):.2f} m)",
            key="err_slot_full_m",
            field="slot",
            slot=slot.code,
            used=f"{metres:.2f}",
            capacity=f"{float(slot.capacity_m):.2f}",
        )


def _recheck_capacity(session: Session, slot: Slot) -> None:
    # After our own write, inside the write transaction: catches a concurrent writer on SQLite.
    n, _ = slot_usage(session, slot.id)
    if n > slot.capacity_boxes:
        raise Conflict(
            f"slot {slot.code} is full ({slot.capacity_boxes} boxes)",
            key="err_slot_full",
            field="slot",
            slot=slot.code,
            used=n,
            capacity=slot.capacity_boxes,
        )


def place_box(
    session: Session,
    box: Box,
    slot_ref: str | int | Slot,
    actor: str,
    *,
    set_home: bool | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> BoxEvent:
    """Put a box away into a slot, or move it there. The first placement (or ``set_home``) makes the slot its home
    (where it belongs); otherwise the home stays and the box counts as displaced until it is back."""
    _check_version(session, box, expected_version)
    ensure_may_handle(session, box, actor)
    if isinstance(slot_ref, str) and not slot_ref.strip():
        raise RegistryError("scan or type the target slot", key="err_slot_blank", field="slot")
    slot = slot_ref if isinstance(slot_ref, Slot) else get_slot(session, slot_ref)
    if box.status == BoxStatus.CHECKED_OUT:
        raise Conflict(
            f"box {box.code} is checked out to {box.custodian}: return it first",
            key="err_checked_out",
            code=box.code,
            custodian=box.custodian,
        )
    if box.status == BoxStatus.HANDOVER:
        raise Conflict(
            f"box {box.code} was handed over and is no longer kept here", key="err_handed_over", code=box.code
        )
    if box.current_slot_id == slot.id and box.status == BoxStatus.IN_PLACE and not set_home:
        raise Conflict(
            f"box {box.code} is already in slot {slot.code}",
            key="err_already_there",
            field="slot",
            code=box.code,
            slot=slot.code,
        )
    _lock_slot_with_room(session, slot, box)
    first = box.home_slot_id is None
    kind = EventKind.PLACED if first or box.status in (BoxStatus.UNPLACED, BoxStatus.MISSING) else EventKind.MOVED
    ev = _event(
        session,
        box,
        kind,
        actor,
        from_slot_id=box.current_slot_id,
        to_slot_id=slot.id,
        reason=reason,
        data={"set_home": bool(first or set_home)},
    )
    if first or set_home:
        box.home_slot_id = slot.id
    box.current_slot_id = slot.id
    box.status = BoxStatus.IN_PLACE.value
    box.status_since = utcnow()
    box.custodian = ""
    box.checkout_purpose = ""
    box.due_back = None
    _flush(session, box)
    _recheck_capacity(session, slot)
    return ev


def check_out(
    session: Session,
    box: Box,
    custodian: str,
    purpose: str,
    actor: str,
    *,
    due_back: date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> BoxEvent:
    """Check a box out to a person (reading room, processing, …) until ``due_back``."""
    _check_version(session, box, expected_version)
    ensure_may_handle(session, box, actor)
    custodian = custodian.strip()
    if not custodian:
        raise RegistryError("say to whom the box is checked out", key="err_custodian_blank", field="custodian")
    if purpose not in CHECKOUT_PURPOSES:
        raise RegistryError(
            f"unknown purpose {purpose!r}: use {', '.join(CHECKOUT_PURPOSES)}", key="err_purpose", field="purpose"
        )
    if due_back is not None and due_back < utcnow().date():
        raise RegistryError("due date is in the past", key="err_due_past", field="due_back")
    if box.status == BoxStatus.CHECKED_OUT:
        raise Conflict(
            f"box {box.code} is already checked out to {box.custodian}",
            key="err_checked_out",
            code=box.code,
            custodian=box.custodian,
        )
    if box.status in (BoxStatus.MISSING, BoxStatus.HANDOVER):
        raise Conflict(
            f"box {box.code} is {box.status}: it cannot be checked out",
            key="err_cannot_checkout",
            code=box.code,
            status=str(box.status),
        )
    ev = _event(
        session,
        box,
        EventKind.CHECKED_OUT,
        actor,
        from_slot_id=box.current_slot_id,
        custodian=custodian,
        reason=reason,
        due_back=due_back,
        data={"purpose": purpose},
    )
    box.current_slot_id = None
    box.status = BoxStatus.CHECKED_OUT.value
    box.status_since = utcnow()
    box.custodian = custodian
    box.checkout_purpose = purpose
    box.due_back = due_back
    _flush(session, box)
    return ev


def return_box(
    session: Session,
    box: Box,
    actor: str,
    *,
    slot_ref: str | int | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> BoxEvent:
    """Take a checked-out box back and put it into ``slot_ref`` (default: its home slot)."""
    _check_version(session, box, expected_version)
    ensure_may_handle(session, box, actor)
    if box.status != BoxStatus.CHECKED_OUT:
        raise Conflict(f"box {box.code} is not checked out", key="err_not_checked_out", code=box.code)
    slot = get_slot(session, slot_ref) if slot_ref is not None else box.home_slot
    if slot is not None:
        _lock_slot_with_room(session, slot, box)
    ev = _event(
        session,
        box,
        EventKind.RETURNED,
        actor,
        to_slot_id=slot.id if slot else None,
        custodian=box.custodian,
        reason=reason,
        data={"purpose": box.checkout_purpose},
    )
    box.current_slot_id = slot.id if slot else None
    box.status = (BoxStatus.IN_PLACE if slot else BoxStatus.UNPLACED).value
    box.status_since = utcnow()
    box.custodian = ""
    box.checkout_purpose = ""
    box.due_back = None
    _flush(session, box)
    if slot is not None:
        _recheck_capacity(session, slot)
    return ev


def _save_photo(state_dir: Path, box: Box, photo: bytes, content_type: str) -> str:
    # The bytes decide, not the type the client claims: the extension (and so the served type) is the real one.
    ext = check_photo(photo)
    folder = private_dir(state_dir / "photos") / re.sub(r"[^A-Za-z0-9_-]", "_", box.code)
    name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}{ext}"
    write_private(folder / name, photo)
    return str((folder / name).relative_to(state_dir))


def report_damage(
    session: Session,
    box: Box,
    kind: str,
    actor: str,
    *,
    note: str = "",
    photo: bytes | None = None,
    photo_type: str = "",
    state_dir: Path | None = None,
    expected_version: int | None = None,
) -> BoxEvent:
    """Record damage (mould, water, pests, torn, …) with a note and an optional photo kept under ``state_dir``.
    ``expected_version`` is accepted for symmetry and ignored: a note never clashes with a move."""
    if kind not in DAMAGE_KINDS:
        raise RegistryError(
            f"unknown damage kind {kind!r}: use {', '.join(DAMAGE_KINDS)}", key="err_damage_kind", field="kind"
        )
    data: dict[str, Any] = {"damage": kind}
    if photo:
        if state_dir is None:
            raise RegistryError("no place to store the photo")
        data["photo"] = _save_photo(state_dir, box, photo, photo_type)
    ev = _event(session, box, EventKind.DAMAGED, actor, reason=note, data=data)
    box.condition = kind
    _flush(session, box)
    return ev


def mark_cleaned(
    session: Session, box: Box, actor: str, *, note: str = "", expected_version: int | None = None
) -> BoxEvent:
    """Record that a box was cleaned (dusted, re-boxed…); ``expected_version`` is ignored (no clash possible)."""
    ev = _event(session, box, EventKind.CLEANED, actor, reason=note)
    box.last_cleaned_at = ev.at
    _flush(session, box)
    return ev


def inspect_box(
    session: Session,
    box: Box,
    actor: str,
    *,
    condition: str = "good",
    note: str = "",
    expected_version: int | None = None,
) -> BoxEvent:
    """Record an inspection and the condition found (``good`` clears an earlier damage mark); ``expected_version``
    is ignored (no clash possible)."""
    condition = condition.strip() or "good"
    ev = _event(session, box, EventKind.INSPECTED, actor, reason=note, data={"condition": condition})
    box.condition = condition
    _flush(session, box)
    return ev


def hand_over(
    session: Session, box: Box, recipient: str, actor: str, *, reason: str = "", expected_version: int | None = None
) -> BoxEvent:
    """Hand a box over (bàn giao) to another archive: it leaves the shelves for good."""
    _check_version(session, box, expected_version)
    ensure_may_handle(session, box, actor)
    if not recipient.strip():
        raise RegistryError("say to whom the box is handed over", key="err_recipient_blank", field="recipient")
    if box.status == BoxStatus.HANDOVER:
        raise Conflict(f"box {box.code} was already handed over")
    if box.status == BoxStatus.CHECKED_OUT:
        raise Conflict(f"box {box.code} is checked out to {box.custodian}: return it first")
    ev = _event(
        session,
        box,
        EventKind.HANDED_OVER,
        actor,
        from_slot_id=box.current_slot_id,
        custodian=recipient.strip(),
        reason=reason,
    )
    box.current_slot_id = None
    box.status = BoxStatus.HANDOVER.value
    box.status_since = utcnow()
    box.custodian = recipient.strip()
    _flush(session, box)
    return ev
