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

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from inventory.archival.orgs import ensure_may_handle
from inventory.db import utcnow
from inventory.errors import Conflict, RegistryError
from inventory.models import Box, BoxEvent, BoxStatus, EventKind, Slot
from inventory.services.shelving import get_slot, slot_usage

CHECKOUT_PURPOSES = ("reading_room", "processing", "digitisation", "exhibition", "other")
DAMAGE_KINDS = ("mould", "water", "pests", "torn", "fire", "other")
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MAX_PHOTO_BYTES = 8 * 1024 * 1024


def _check_version(box: Box, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != box.version:
        raise Conflict(
            f"box {box.code} was changed by someone else meanwhile (now version {box.version}, "
            f"you saw {expected_version}): reload and try again"
        )


def _flush(session: Session, box: Box) -> None:
    code = box.code  # read before the flush: after a failed one the session cannot load attributes
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"box {code} was changed by someone else at the same time: reload and try again") from None


def _event(session: Session, box: Box, kind: EventKind, actor: str, **kw: Any) -> BoxEvent:
    ev = BoxEvent(box_id=box.id, kind=kind.value, actor=actor, at=utcnow(), **kw)
    session.add(ev)
    return ev


def _lock_slot_with_room(session: Session, slot: Slot, box: Box) -> None:
    # Lock the slot row (PostgreSQL) so two boxes cannot take its last place at once; SQLite serialises writers.
    session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
    n, metres = slot_usage(session, slot.id)
    if box.current_slot_id == slot.id:
        return
    if n >= slot.capacity_boxes:
        raise Conflict(f"slot {slot.code} is full ({n}/{slot.capacity_boxes} boxes)")
    if metres + float(box.width_m) > float(slot.capacity_m) + 1e-9:
        raise Conflict(f"slot {slot.code} is full ({metres:.2f}/{float(slot.capacity_m):.2f} m)")


def _recheck_capacity(session: Session, slot: Slot) -> None:
    # After our own write, inside the write transaction: catches a concurrent writer on SQLite.
    n, _ = slot_usage(session, slot.id)
    if n > slot.capacity_boxes:
        raise Conflict(f"slot {slot.code} is full ({slot.capacity_boxes} boxes)")


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
    _check_version(box, expected_version)
    ensure_may_handle(session, box, actor)
    slot = slot_ref if isinstance(slot_ref, Slot) else get_slot(session, slot_ref)
    if box.status == BoxStatus.CHECKED_OUT:
        raise Conflict(f"box {box.code} is checked out to {box.custodian}: return it first")
    if box.status == BoxStatus.HANDOVER:
        raise Conflict(f"box {box.code} was handed over and is no longer kept here")
    if box.current_slot_id == slot.id and box.status == BoxStatus.IN_PLACE and not set_home:
        raise Conflict(f"box {box.code} is already in slot {slot.code}")
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
    _check_version(box, expected_version)
    ensure_may_handle(session, box, actor)
    custodian = custodian.strip()
    if not custodian:
        raise RegistryError("say to whom the box is checked out")
    if purpose not in CHECKOUT_PURPOSES:
        raise RegistryError(f"unknown purpose {purpose!r}: use {', '.join(CHECKOUT_PURPOSES)}")
    if due_back is not None and due_back < utcnow().date():
        raise RegistryError("due date is in the past")
    if box.status == BoxStatus.CHECKED_OUT:
        raise Conflict(f"box {box.code} is already checked out to {box.custodian}")
    if box.status in (BoxStatus.MISSING, BoxStatus.HANDOVER):
        raise Conflict(f"box {box.code} is {box.status}: it cannot be checked out")
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
    _check_version(box, expected_version)
    ensure_may_handle(session, box, actor)
    if box.status != BoxStatus.CHECKED_OUT:
        raise Conflict(f"box {box.code} is not checked out")
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
    ext = PHOTO_TYPES.get(content_type)
    if ext is None:
        raise RegistryError("photo must be a JPEG, PNG or WebP image")
    if len(photo) > MAX_PHOTO_BYTES:
        raise RegistryError(f"photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    folder = state_dir / "photos" / re.sub(r"[^A-Za-z0-9_-]", "_", box.code)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow().strftime('%Y%m%dT%H%M%S%f')}{ext}"
    (folder / name).write_bytes(photo)
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
    """Record damage (mould, water, pests, torn, …) with a note and an optional photo kept under ``state_dir``."""
    _check_version(box, expected_version)
    if kind not in DAMAGE_KINDS:
        raise RegistryError(f"unknown damage kind {kind!r}: use {', '.join(DAMAGE_KINDS)}")
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
    """Record that a box was cleaned (dusted, re-boxed…)."""
    _check_version(box, expected_version)
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
    """Record an inspection and the condition found (``good`` clears an earlier damage mark)."""
    _check_version(box, expected_version)
    condition = condition.strip() or "good"
    ev = _event(session, box, EventKind.INSPECTED, actor, reason=note, data={"condition": condition})
    box.condition = condition
    _flush(session, box)
    return ev


def hand_over(
    session: Session, box: Box, recipient: str, actor: str, *, reason: str = "", expected_version: int | None = None
) -> BoxEvent:
    """Hand a box over (bàn giao) to another archive: it leaves the shelves for good."""
    _check_version(box, expected_version)
    ensure_may_handle(session, box, actor)
    if not recipient.strip():
        raise RegistryError("say to whom the box is handed over")
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
