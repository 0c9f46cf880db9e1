"""Organisations, the fonds they own (open or closed), users' organisations and the checks built on them:
a keeper of one organisation cannot move another's boxes; a closed fonds takes no new boxes or files."""

from __future__ import annotations

import weakref
from datetime import date

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from inventory.archival.models import (
    BoxArchival,
    CloseReason,
    FondsArchival,
    FondsStatus,
    FondsSuccessor,
    Organisation,
    OrgKind,
    TransferRule,
    UserOrganisation,
)
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import Box, BoxStatus, Fonds, User

_CODE_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
_HAS_TABLES: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines known to hold the archival tables


def archival_schema(session: Session) -> bool:
    """True once the database holds the archival tables (migration i0011). The registry's services also run
    against databases of older revisions (upgrades, migration tests); there the archival checks have nothing to
    check. A positive answer is cached per engine; a negative one is asked again, as an upgrade may follow."""
    bind = session.get_bind()
    engine: Engine = bind.engine
    if engine in _HAS_TABLES:
        return True
    if inspect(bind).has_table("fonds_archival"):
        _HAS_TABLES.add(engine)
        return True
    return False


def _choice(name: str, value: str, enum: type[OrgKind] | type[CloseReason] | type[TransferRule]) -> str:
    try:
        return enum(value).value
    except ValueError:
        raise RegistryError(f"unknown {name} {value!r}: use {', '.join(e.value for e in enum)}") from None


def create_organisation(
    session: Session,
    code: str,
    name: str,
    kind: str = OrgKind.AGENCY.value,
    *,
    parent: str | None = None,
    historical_archive: str | None = None,
    transfer_source: bool = True,
) -> Organisation:
    """Register an organisation; ``parent`` (direct superior) and ``historical_archive`` are codes of others."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not set(code) <= _CODE_OK:
        raise RegistryError(f"organisation code {code!r} is invalid: 1–32 letters, digits, '-', '_' or '.'")
    if not name.strip():
        raise RegistryError("organisation name is empty")
    if session.scalar(select(Organisation.id).where(Organisation.code == code)):
        raise Conflict(f"organisation {code} already exists")
    org = Organisation(
        code=code,
        name=name.strip(),
        kind=_choice("organisation kind", kind, OrgKind),
        parent_id=get_organisation(session, parent).id if parent else None,
        historical_archive_id=get_organisation(session, historical_archive).id if historical_archive else None,
        transfer_source=transfer_source,
    )
    session.add(org)
    session.flush()
    return org


def get_organisation(session: Session, ref: str | int) -> Organisation:
    """An organisation by id or code (NotFound otherwise)."""
    org = (
        session.get(Organisation, ref)
        if isinstance(ref, int)
        else session.scalar(select(Organisation).where(Organisation.code == ref.strip().upper()))
    )
    if org is None:
        raise NotFound(f"no organisation {ref}")
    return org


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.code)))


def fonds_archival(session: Session, fonds: Fonds) -> FondsArchival:
    """The archival row of a fonds (created open, rule 5y, when it has none)."""
    row = session.get(FondsArchival, fonds.id)
    if row is None:
        row = FondsArchival(
            fonds_id=fonds.id, status=FondsStatus.OPEN.value, closed_reason="", transfer_rule=TransferRule.FIVE_YEARS
        )
        session.add(row)
        session.flush()
    return row


def assign_fonds(session: Session, fonds: Fonds, org: Organisation, *, transfer_rule: str | None = None) -> None:
    """Make ``fonds`` belong to ``org`` (and set its transfer rule)."""
    row = fonds_archival(session, fonds)
    row.organisation_id = org.id
    if transfer_rule is not None:
        row.transfer_rule = _choice("transfer rule", transfer_rule, TransferRule)
    session.flush()


def close_fonds(
    session: Session, fonds: Fonds, closed_on: date, reason: str, successors: list[Fonds] | None = None
) -> None:
    """Close a fonds (khóa phông) from ``closed_on`` for ``reason``, naming the fonds that succeed it."""
    row = fonds_archival(session, fonds)
    if row.status == FondsStatus.CLOSED:
        raise Conflict(f"fonds {fonds.code} is already closed (since {row.closed_on})")
    row.status = FondsStatus.CLOSED.value
    row.closed_on = closed_on
    row.closed_reason = _choice("closing reason", reason, CloseReason)
    for s in successors or []:
        if s.id != fonds.id:
            session.merge(FondsSuccessor(fonds_id=fonds.id, successor_id=s.id))
    session.flush()


def successors_of(session: Session, fonds: Fonds) -> list[Fonds]:
    return list(
        session.scalars(
            select(Fonds)
            .join(FondsSuccessor, FondsSuccessor.successor_id == Fonds.id)
            .where(FondsSuccessor.fonds_id == fonds.id)
            .order_by(Fonds.code)
        )
    )


def ensure_fonds_open(session: Session, fonds_id: int) -> None:
    """Conflict if the fonds is closed: a closed fonds accepts no new boxes or files."""
    if not archival_schema(session):
        return
    row = session.get(FondsArchival, fonds_id)
    if row is not None and row.status == FondsStatus.CLOSED:
        code = session.scalar(select(Fonds.code).where(Fonds.id == fonds_id))
        raise Conflict(f"fonds {code} is closed since {row.closed_on:%d/%m/%Y}: it accepts no new boxes or files")


def set_user_organisation(session: Session, username: str, org: Organisation | None) -> None:
    """Tie a user to ``org`` (their role applies there only), or to every organisation with None."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user {username}")
    row = session.get(UserOrganisation, user.id)
    if org is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(UserOrganisation(user_id=user.id, organisation_id=org.id))
    else:
        row.organisation_id = org.id
    session.flush()


def organisation_of_actor(session: Session, actor: str) -> int | None:
    """The organisation id a user acts for; None for users of every organisation and for machine tokens."""
    if actor.startswith("token:"):
        return None
    return session.scalar(
        select(UserOrganisation.organisation_id)
        .join(User, User.id == UserOrganisation.user_id)
        .where(User.username == actor)
    )


def keeper_of_box(session: Session, box: Box) -> int | None:
    """The organisation keeping a box: its custody after a transfer, else its fonds' organisation."""
    custody = session.scalar(select(BoxArchival.organisation_id).where(BoxArchival.box_id == box.id))
    if custody is not None:
        return custody
    return session.scalar(select(FondsArchival.organisation_id).where(FondsArchival.fonds_id == box.fonds_id))


def ensure_may_handle(session: Session, box: Box, actor: str) -> None:
    """RegistryError unless ``actor`` acts for the organisation keeping ``box`` (or for every organisation);
    Conflict for a destroyed box, which stays in the registry but can no longer move."""
    if box.status == BoxStatus.DESTROYED:
        raise Conflict(f"box {box.code} was destroyed: it stays in the registry and cannot move")
    if not archival_schema(session):
        return
    mine = organisation_of_actor(session, actor)
    if mine is None:
        return
    keeper = keeper_of_box(session, box)
    if keeper is not None and keeper != mine:
        name = session.scalar(select(Organisation.name).where(Organisation.id == keeper))
        raise PermissionDenied(f"box {box.code} is kept by {name}: only its own staff can move it")


class PermissionDenied(RegistryError):
    """The caller acts for another organisation than the one the request concerns."""

    http_status = 403


def boxes_kept_by(session: Session, org_id: int) -> int:
    """How many boxes ``org_id`` keeps (its fonds' boxes not transferred away, plus those transferred to it)."""
    custody = select(BoxArchival.box_id).where(BoxArchival.organisation_id.is_not(None)).scalar_subquery()
    own = (
        select(func.count(Box.id))
        .join(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
        .where(FondsArchival.organisation_id == org_id, Box.id.not_in(custody))
    )
    received = select(func.count()).select_from(BoxArchival).where(BoxArchival.organisation_id == org_id)
    return int(session.scalar(own) or 0) + int(session.scalar(received) or 0)
