"""Label tokens: create them with the things they label, and resolve a scanned token or code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.db import utcnow
from inventory.errors import NotFound
from inventory.models import Box, LabelKind, LabelToken, Room, Shelf, ShelvingUnit, Site, Slot


def new_token() -> str:
    """A fresh random label token: 96 bits, URL-safe, 16 characters."""
    return secrets.token_urlsafe(12)


def ensure_label(session: Session, kind: LabelKind | str, target_id: int, code: str) -> str:
    """The active token of (kind, target), created if there is none."""
    kind = LabelKind(kind).value
    tok = session.scalar(
        select(LabelToken.token).where(
            LabelToken.kind == kind, LabelToken.target_id == target_id, LabelToken.revoked_at.is_(None)
        )
    )
    if tok is not None:
        return tok
    tok = new_token()
    session.add(LabelToken(token=tok, kind=kind, target_id=target_id, code=code))
    session.flush()
    return tok


def reissue_label(session: Session, kind: LabelKind | str, target_id: int) -> str:
    """A new token for a lost or damaged label; the old token stops resolving (its row is kept, revoked)."""
    kind = LabelKind(kind).value
    old = list(
        session.scalars(
            select(LabelToken).where(
                LabelToken.kind == kind, LabelToken.target_id == target_id, LabelToken.revoked_at.is_(None)
            )
        )
    )
    if not old:
        raise NotFound(f"no {kind} label for id {target_id}")
    for row in old:
        row.revoked_at = utcnow()
    session.flush()
    return ensure_label(session, kind, target_id, old[0].code)


def label_tokens(session: Session, kind: LabelKind | str, target_ids: list[int]) -> dict[int, str]:
    """Active tokens of many targets of one kind (for printing label sheets)."""
    rows = session.execute(
        select(LabelToken.target_id, LabelToken.token).where(
            LabelToken.kind == LabelKind(kind).value,
            LabelToken.target_id.in_(target_ids),
            LabelToken.revoked_at.is_(None),
        )
    )
    return {tid: tok for tid, tok in rows}


@dataclass(frozen=True, slots=True)
class LabelTarget:
    """What a scanned label points at."""

    kind: str
    target_id: int
    code: str


def extract_token(scanned: str) -> str:
    """The token in a scanned value: a full label URL ``…/s/<token>`` or the bare token/code."""
    value = scanned.strip()
    if "/s/" in value:
        value = value.rsplit("/s/", 1)[1]
    return value.split("?", 1)[0].strip("/ ")


def resolve_label(session: Session, scanned: str) -> LabelTarget:
    """Resolve a scanned label URL, token or human code to its target (NotFound otherwise)."""
    value = extract_token(scanned)
    if not value:
        raise NotFound("empty label")
    row = session.get(LabelToken, value)
    if row is not None and row.revoked_at is None:
        return LabelTarget(row.kind, row.target_id, row.code)
    code = value.upper()
    for kind, model in (
        (LabelKind.BOX, Box),
        (LabelKind.SLOT, Slot),
        (LabelKind.SHELF, Shelf),
        (LabelKind.UNIT, ShelvingUnit),
    ):
        tid = session.scalar(select(model.id).where(model.code == code))
        if tid is not None:
            return LabelTarget(kind.value, tid, code)
    room = session.scalar(
        select(LabelToken).where(
            LabelToken.kind == LabelKind.ROOM.value, LabelToken.code == code, LabelToken.revoked_at.is_(None)
        )
    )
    if room is not None:
        return LabelTarget(room.kind, room.target_id, room.code)
    raise NotFound(f"unknown label {value}")


def room_code(room: Room, site: Site) -> str:
    """Human code of a room label: ``<site>-<room>``."""
    return f"{site.code}-{room.code}".upper()


def ensure_room_label(session: Session, room: Room) -> str:
    """The room's label token (rooms belong to the foundation registry, so their tokens are made on demand)."""
    return ensure_label(session, LabelKind.ROOM, room.id, room_code(room, room.site))
