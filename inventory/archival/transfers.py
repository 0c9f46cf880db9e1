"""Transfer batches (giao nộp, nộp lưu): select the boxes, check them, scan them out at the sender and in at the
receiver, account for every box, close: custody events, the boxes move to the receiver and its slots.

A box stays the sender's (on its shelf, in its slot) until the batch is closed: the handover takes effect when
the biên bản giao nhận is signed. Closing needs every box accounted for: received, withdrawn from the list before
it left, or declared missing (a search task is opened); an unexpected box must be accepted or sent back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from inventory.archival.due import due_files
from inventory.archival.models import (
    BatchKind,
    BatchState,
    BoxArchival,
    FondsArchival,
    Organisation,
    OrgKind,
    SearchTask,
    TransferBatch,
    TransferItem,
)
from inventory.archival.orgs import get_organisation, organisation_of_actor
from inventory.archival.settings import ArchivalSettings
from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import Box, BoxEvent, BoxStatus, Catalogue, EventKind, File, Fonds
from inventory.services.boxes import get_box
from inventory.services.labels import extract_token
from inventory.services.movements import place_box
from inventory.services.shelving import get_slot

OUT = "out"
IN = "in"
WITHDRAWN = "withdrawn"
MISSING = "missing"
REJECTED = "rejected"
DIGITAL_FIELDS = ("request_code", "org_code", "files_registered", "files_approved", "files_received", "rounds")
DETAIL_FIELDS = (
    "title",
    "legal_basis",
    "sender_rep",
    "sender_rep_position",
    "receiver_rep",
    "receiver_rep_position",
    "condition",
)


class NotYourBatch(RegistryError):
    """The caller acts for neither side of the batch (or not for the side that must do this step)."""

    http_status = 403


def _next_code(session: Session, year: int) -> str:
    prefix = f"GN{year}-"
    n = session.scalar(select(func.count()).select_from(TransferBatch).where(TransferBatch.code.like(f"{prefix}%")))
    return f"{prefix}{(n or 0) + 1:04d}"


def create_batch(
    session: Session,
    sender: str | int,
    receiver: str | int,
    actor: str,
    *,
    kind: str = BatchKind.TRANSFER.value,
    reorganisation_id: int | None = None,
    by_receiver: bool = False,
    **details: str,
) -> TransferBatch:
    """Open a batch from ``sender`` to ``receiver`` (organisation codes or ids); ``details`` are the biên bản's
    fields (``title``, ``legal_basis``, representatives, ``condition``)."""
    s_org, r_org = get_organisation(session, sender), get_organisation(session, receiver)
    if s_org.id == r_org.id:
        raise RegistryError("sender and receiver are the same organisation")
    mine = organisation_of_actor(session, actor)
    # A reorganisation's handover may be opened by the receiving side too: the ended body may have no staff left.
    # (and so may a batch the receiver imports from a sender that has no kho).
    allowed = {s_org.id, r_org.id} if reorganisation_id is not None or by_receiver else {s_org.id}
    if mine is not None and mine not in allowed:
        raise NotYourBatch(f"only staff of {s_org.name} can open a transfer from it")
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise RegistryError(f"unknown batch field(s): {', '.join(sorted(unknown))}")
    batch = TransferBatch(
        code=_next_code(session, utcnow().year),
        kind=kind,
        state=BatchState.OPEN.value,
        sender_id=s_org.id,
        receiver_id=r_org.id,
        reorganisation_id=reorganisation_id,
        created_by=actor,
        **{k: v.strip() for k, v in details.items()},
    )
    session.add(batch)
    session.flush()
    return batch


def get_batch(session: Session, ref: str | int) -> TransferBatch:
    """A batch by id or code (NotFound otherwise)."""
    batch = (
        session.get(TransferBatch, ref)
        if isinstance(ref, int)
        else session.scalar(select(TransferBatch).where(TransferBatch.code == ref.strip().upper()))
    )
    if batch is None:
        raise NotFound(f"no transfer batch {ref}")
    return batch


def ensure_party(session: Session, batch: TransferBatch, actor: str, side: str | None = None) -> None:
    """NotYourBatch unless ``actor`` acts for the batch's sender (``side`` out), receiver (in) or either (None)."""
    mine = organisation_of_actor(session, actor)
    if mine is None:
        return
    allowed = {OUT: {batch.sender_id}, IN: {batch.receiver_id}}.get(side or "", {batch.sender_id, batch.receiver_id})
    if mine not in allowed:
        raise NotYourBatch(f"batch {batch.code}: this step is for the other side's staff")


def _open(batch: TransferBatch) -> None:
    if batch.state != BatchState.OPEN:
        raise Conflict(f"batch {batch.code} is {batch.state}: it can no longer change")


def kept_by_expr() -> object:
    return func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)


def select_boxes(
    session: Session,
    batch: TransferBatch,
    actor: str,
    *,
    fonds: str | None = None,
    catalogue: int | None = None,
    box_codes: list[str] | None = None,
    box_ids: list[int] | None = None,
    due_year: int | None = None,
    cfg: ArchivalSettings | None = None,
    for_sender: bool = False,
) -> int:
    """Put the sender's boxes on the batch's list: by fonds (and catalogue), by codes or ids, and/or those holding
    files due by ``due_year``. Returns how many were added; boxes already on it are skipped, boxes kept by another
    organisation refused. ``for_sender``: the receiver lists them on the sender's behalf (an imported batch)."""
    _open(batch)
    ensure_party(session, batch, actor, None if for_sender else OUT)
    if due_year is not None:
        due = {d.box_id for d in due_files(session, batch.sender, due_year, date.today(), cfg or ArchivalSettings())}
        box_ids = sorted(due & set(box_ids)) if box_ids is not None else sorted(due)
    kept_by = func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)
    q = (
        select(Box.id, Box.code, kept_by, Box.status)
        .outerjoin(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
        .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
    )
    if fonds:
        f = session.scalar(select(Fonds).where(Fonds.code == fonds.strip().upper()))
        if f is None:
            raise NotFound(f"no fonds {fonds}")
        q = q.where(Box.fonds_id == f.id)
        if catalogue is not None:
            q = q.join(Catalogue, Catalogue.id == Box.catalogue_id).where(Catalogue.number == catalogue)
    if box_codes:
        ids = [get_box(session, c).id for c in box_codes]
        box_ids = [*(box_ids or []), *ids]
    if box_ids is not None:
        q = q.where(Box.id.in_(box_ids))
    elif not fonds:
        raise RegistryError("choose boxes: a fonds, box codes or a due year")
    on_list = set(session.scalars(select(TransferItem.box_id).where(TransferItem.batch_id == batch.id)))
    elsewhere = dict(
        session.execute(
            select(TransferItem.box_id, TransferBatch.code)
            .join(TransferBatch, TransferBatch.id == TransferItem.batch_id)
            .where(
                TransferBatch.state == BatchState.OPEN.value,
                TransferBatch.id != batch.id,
                TransferItem.expected.is_(True),
                TransferItem.outcome.not_in([WITHDRAWN, REJECTED]),
            )
        ).all()
    )
    rows = []
    for bid, code, keeper, status in session.execute(q):
        if bid in on_list:
            continue
        if bid in elsewhere:
            raise Conflict(f"box {code} is already in open batch {elsewhere[bid]}")
        if keeper != batch.sender_id:
            raise Conflict(f"box {code} is not kept by the sender")
        if status in (BoxStatus.HANDOVER, BoxStatus.MISSING):
            raise Conflict(f"box {code} is {status}: it cannot be transferred")
        rows.append({"batch_id": batch.id, "box_id": bid, "expected": True, "outcome": ""})
    if rows:
        session.execute(insert(TransferItem), rows)
    session.flush()
    session.expire(batch, ["items"])
    return len(rows)


def remove_box(session: Session, batch: TransferBatch, box_ref: str | int, actor: str) -> None:
    """Take a box off the list before it has been scanned out (it stays with the sender)."""
    _open(batch)
    ensure_party(session, batch, actor, OUT)
    item = _item(session, batch, get_box(session, box_ref))
    if item is None:
        raise NotFound(f"box is not in batch {batch.code}")
    if item.scanned_out_at is not None or item.received_at is not None:
        raise Conflict("the box was already scanned: it has left; declare it missing or receive it")
    item.outcome = WITHDRAWN
    session.flush()


def _item(session: Session, batch: TransferBatch, box: Box) -> TransferItem | None:
    return session.scalar(select(TransferItem).where(TransferItem.batch_id == batch.id, TransferItem.box_id == box.id))


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What one scan did: ``status`` ok | again | unexpected."""

    box_code: str
    status: str


def scan(
    session: Session, batch: TransferBatch, side: str, raw: str, actor: str, *, slot: str | None = None
) -> ScanOutcome:
    """Scan a box out (``side`` out, at the sender) or in (in, at the receiver; ``slot`` where it will go). A box
    not on the list is recorded as unexpected."""
    _open(batch)
    if side not in (OUT, IN):
        raise RegistryError("side must be 'out' or 'in'")
    ensure_party(session, batch, actor, side)
    box = get_box(session, raw)
    slot_id = get_slot(session, slot).id if slot else None
    item = _item(session, batch, box)
    status = "ok"
    if item is None:
        item = TransferItem(batch_id=batch.id, box_id=box.id, expected=False, outcome="")
        session.add(item)
        status = "unexpected"
    elif not item.expected and item.outcome == "":
        status = "unexpected"
    now = utcnow()
    if side == OUT:
        if item.scanned_out_at is not None:
            status = "again" if status == "ok" else status
        else:
            item.scanned_out_at, item.scanned_out_by = now, actor
    else:
        if item.received_at is not None and slot_id in (None, item.to_slot_id):
            status = "again" if status == "ok" else status
        else:
            item.received_at = item.received_at or now
            item.received_by = item.received_by or actor
            if slot_id is not None:
                item.to_slot_id = slot_id
    if item.outcome == WITHDRAWN:
        item.outcome = ""  # it turned up after all
    session.flush()
    return ScanOutcome(box.code, status)


def scan_many(session: Session, batch: TransferBatch, side: str, raws: list[str], actor: str) -> dict[str, int]:
    """Scan many codes at once (a scanner's upload, a whole pallet): the same outcome as scanning each in turn,
    written in bulk. Returns the counts of ok / again / unexpected scans; an unknown code fails the whole call."""
    _open(batch)
    if side not in (OUT, IN):
        raise RegistryError("side must be 'out' or 'in'")
    ensure_party(session, batch, actor, side)
    wanted = [extract_token(r).upper() for r in raws if r.strip()]
    ids: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        ids.update(
            {c: b for c, b in session.execute(select(Box.code, Box.id).where(Box.code.in_(wanted[i : i + 500])))}
        )
    box_ids = []
    for raw in wanted:
        bid = ids.get(raw)
        box_ids.append(bid if bid is not None else get_box(session, raw).id)
    items = {
        bid: (iid, expected, outcome, out_at, in_at)
        for iid, bid, expected, outcome, out_at, in_at in session.execute(
            select(
                TransferItem.id,
                TransferItem.box_id,
                TransferItem.expected,
                TransferItem.outcome,
                TransferItem.scanned_out_at,
                TransferItem.received_at,
            ).where(TransferItem.batch_id == batch.id)
        )
    }
    counts = {"ok": 0, "again": 0, "unexpected": 0}
    now = utcnow()
    to_mark: list[int] = []
    new: list[dict[str, object]] = []
    seen: set[int] = set()
    for bid in box_ids:
        if bid in seen:
            counts["again"] += 1
            continue
        seen.add(bid)
        item = items.get(bid)
        if item is None:
            counts["unexpected"] += 1
            stamp = {"scanned_out_at": now, "scanned_out_by": actor} if side == OUT else {}
            if side == IN:
                stamp = {"received_at": now, "received_by": actor}
            new.append({"batch_id": batch.id, "box_id": bid, "expected": False, "outcome": "", **stamp})
            continue
        iid, expected, outcome, out_at, in_at = item
        done = out_at if side == OUT else in_at
        if not expected and outcome == "":
            counts["unexpected"] += 1
        elif done is not None:
            counts["again"] += 1
        else:
            counts["ok"] += 1
        if done is None or outcome == WITHDRAWN:
            to_mark.append(iid)
    values = (
        {"scanned_out_at": now, "scanned_out_by": actor} if side == OUT else {"received_at": now, "received_by": actor}
    )
    col = TransferItem.scanned_out_at if side == OUT else TransferItem.received_at
    for i in range(0, len(to_mark), 500):
        chunk = to_mark[i : i + 500]
        session.execute(update(TransferItem).where(TransferItem.id.in_(chunk), col.is_(None)).values(**values))
        session.execute(
            update(TransferItem).where(TransferItem.id.in_(chunk), TransferItem.outcome == WITHDRAWN).values(outcome="")
        )
    if new:
        session.execute(insert(TransferItem), new)
    session.flush()
    session.expire(batch, ["items"])
    return counts


def resolve_unexpected(session: Session, batch: TransferBatch, box_ref: str | int, accept: bool, actor: str) -> None:
    """An unexpected box: ``accept`` puts it on the list (both sides agree), otherwise it goes back to the sender."""
    _open(batch)
    ensure_party(session, batch, actor)
    box = get_box(session, box_ref)
    item = _item(session, batch, box)
    if item is None or item.expected:
        raise Conflict(f"box {box.code} is not an unexpected box of batch {batch.code}")
    if accept:
        kept_by = func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)
        keeper = session.scalar(
            select(kept_by)
            .select_from(Box)
            .outerjoin(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
            .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
            .where(Box.id == box.id)
        )
        if keeper != batch.sender_id:
            raise Conflict(f"box {box.code} is not kept by the sender: it cannot join this batch")
        item.expected = True
        item.outcome = ""
    else:
        item.outcome = REJECTED
    session.flush()


def declare_missing(session: Session, batch: TransferBatch, box_ref: str | int, actor: str, note: str = "") -> None:
    """A box on the list that did not arrive: marked missing, with an open search task."""
    _open(batch)
    ensure_party(session, batch, actor)
    box = get_box(session, box_ref)
    item = _item(session, batch, box)
    if item is None or not item.expected:
        raise Conflict(f"box {box.code} is not on the list of batch {batch.code}")
    if item.received_at is not None:
        raise Conflict(f"box {box.code} was received")
    item.outcome = MISSING
    session.add(SearchTask(box_id=box.id, batch_id=batch.id, opened_by=actor, opened_at=utcnow(), note=note))
    session.add(
        BoxEvent(
            box_id=box.id,
            kind=EventKind.MISSING.value,
            actor=actor,
            at=utcnow(),
            from_slot_id=box.current_slot_id,
            reason=note or f"not received in transfer {batch.code}",
            data={"batch": batch.code},
        )
    )
    box.status = BoxStatus.MISSING.value
    box.status_since = utcnow()
    session.flush()


@dataclass
class BatchReport:
    """Where every box of a batch stands, at each end."""

    code: str
    state: str
    expected: list[str] = field(default_factory=list)
    scanned_out: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    not_scanned_out: list[str] = field(default_factory=list)  # sender end: on the list, not yet scanned out
    missing: list[str] = field(default_factory=list)  # receiver end: on the list, not received (and not declared)
    declared_missing: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # scanned, not on the list, not yet resolved
    rejected: list[str] = field(default_factory=list)

    @property
    def can_close(self) -> bool:
        return self.state == BatchState.OPEN and not self.missing and not self.unexpected and bool(self.received)

    def counts(self) -> dict[str, int]:
        return {
            k: len(getattr(self, k))
            for k in (
                "expected",
                "scanned_out",
                "received",
                "not_scanned_out",
                "missing",
                "declared_missing",
                "withdrawn",
                "unexpected",
                "rejected",
            )
        }


def batch_report(session: Session, batch: TransferBatch) -> BatchReport:
    rep = BatchReport(batch.code, batch.state)
    rows = session.execute(
        select(
            Box.code, TransferItem.expected, TransferItem.outcome, TransferItem.scanned_out_at, TransferItem.received_at
        )
        .join(Box, Box.id == TransferItem.box_id)
        .where(TransferItem.batch_id == batch.id)
        .order_by(Box.code)
    )
    for code, expected, outcome, out_at, in_at in rows:
        if outcome == WITHDRAWN:
            rep.withdrawn.append(code)
            continue
        if outcome == REJECTED:
            rep.rejected.append(code)
            continue
        if not expected:
            rep.unexpected.append(code)
            continue
        rep.expected.append(code)
        if out_at is not None:
            rep.scanned_out.append(code)
        else:
            rep.not_scanned_out.append(code)
        if in_at is not None:
            rep.received.append(code)
        elif outcome == MISSING:
            rep.declared_missing.append(code)
        else:
            rep.missing.append(code)
    return rep


def close_batch(session: Session, batch: TransferBatch, actor: str, *, on: datetime | None = None) -> BatchReport:
    """Close a batch once every box is accounted for: received boxes pass to the receiver (a custody event on each,
    their old slot freed, put into the slot scanned with them), the year they entered the current archive is kept.
    Conflict, naming the boxes, while any is missing or unexpected."""
    _open(batch)
    ensure_party(session, batch, actor, IN)
    rep = batch_report(session, batch)
    if rep.missing or rep.unexpected:
        parts = []
        if rep.missing:
            parts.append(f"{len(rep.missing)} box(es) not received: {', '.join(rep.missing[:20])}")
        if rep.unexpected:
            parts.append(
                f"{len(rep.unexpected)} unexpected box(es) to accept or send back: {', '.join(rep.unexpected)}"
            )
        raise Conflict(f"batch {batch.code} cannot be closed: " + "; ".join(parts))
    if not rep.received:
        raise Conflict(f"batch {batch.code} cannot be closed: no box was received")
    now = on or utcnow()
    receiver: Organisation = batch.receiver
    items = list(
        session.execute(
            select(TransferItem.box_id, TransferItem.to_slot_id, Box.current_slot_id)
            .join(Box, Box.id == TransferItem.box_id)
            .where(
                TransferItem.batch_id == batch.id,
                TransferItem.expected.is_(True),
                TransferItem.received_at.is_not(None),
                TransferItem.outcome.not_in([WITHDRAWN, REJECTED, MISSING]),
            )
        )
    )
    ids = [bid for bid, _, _ in items]
    into_current = now.year if receiver.kind != OrgKind.HISTORICAL_ARCHIVE else None
    existing = set(session.scalars(select(BoxArchival.box_id).where(BoxArchival.box_id.in_(ids))))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        upd = {"organisation_id": receiver.id, "batch_id": batch.id, "since": now}
        session.execute(update(BoxArchival).where(BoxArchival.box_id.in_(chunk)).values(**upd))
        if into_current is not None:
            session.execute(
                update(BoxArchival)
                .where(BoxArchival.box_id.in_(chunk), BoxArchival.year_into_current.is_(None))
                .values(year_into_current=into_current)
            )
    new_rows = [
        {
            "box_id": b,
            "organisation_id": receiver.id,
            "batch_id": batch.id,
            "since": now,
            "year_into_current": into_current,
        }
        for b in ids
        if b not in existing
    ]
    if new_rows:
        session.execute(insert(BoxArchival), new_rows)
    session.execute(
        insert(BoxEvent),
        [
            {
                "box_id": bid,
                "kind": EventKind.HANDED_OVER.value,
                "actor": actor,
                "at": now,
                "from_slot_id": cur,
                "to_slot_id": to,
                "custodian": receiver.name,
                "reason": f"{batch.code}: {batch.sender.name} → {receiver.name}",
                "data": {"batch": batch.code, "from_org": batch.sender.code, "to_org": receiver.code},
            }
            for bid, to, cur in items
        ],
    )
    # Leave the sender's slots: until put away at the receiver the box has no place.
    for i in range(0, len(ids), 500):
        session.execute(
            update(Box)
            .where(Box.id.in_(ids[i : i + 500]))
            .values(
                current_slot_id=None,
                home_slot_id=None,
                status=BoxStatus.UNPLACED.value,
                status_since=now,
                custodian="",
                checkout_purpose="",
                due_back=None,
                version=Box.version + 1,
            )
        )
    session.expire_all()
    for bid, to, _ in items:
        if to is not None:
            place_box(session, session.get(Box, bid), to, actor, set_home=True, reason=f"received in {batch.code}")  # type: ignore[arg-type]
    batch = session.get(TransferBatch, batch.id)  # type: ignore[assignment]
    batch.state = BatchState.CLOSED.value
    batch.closed_at = now
    batch.closed_by = actor
    session.flush()
    return batch_report(session, batch)


def cancel_batch(session: Session, batch: TransferBatch, actor: str) -> None:
    """Give up a batch before it is closed: nothing moves."""
    _open(batch)
    ensure_party(session, batch, actor)
    batch.state = BatchState.CANCELLED.value
    session.flush()


def set_details(session: Session, batch: TransferBatch, actor: str, **values: str | int | None) -> None:
    """Fill in the biên bản's fields and the digital registration fields of a batch."""
    ensure_party(session, batch, actor)
    for k, v in values.items():
        if k in DETAIL_FIELDS:
            setattr(batch, k, str(v or "").strip())
        elif k in DIGITAL_FIELDS:
            if k in ("request_code", "org_code"):
                setattr(batch, k, str(v or "").strip())
            else:
                n = int(v or 0)
                if n < 0:
                    raise RegistryError(f"{k} cannot be negative")
                setattr(batch, k, n)
        elif k == "digital_received_at":
            batch.digital_received_at = v if isinstance(v, datetime) else None
        else:
            raise RegistryError(f"unknown batch field {k!r}")
    if batch.files_approved > batch.files_registered or batch.files_received > max(batch.files_approved, 0) > 0:
        raise RegistryError("files approved cannot exceed files registered, nor files received files approved")
    session.flush()


@dataclass(frozen=True, slots=True)
class Problem:
    """A check that failed for one file or box of a batch."""

    box_code: str
    file_number: int | None
    what: str  # no_title | no_dates | no_pages | not_permanent | empty_box


def check_batch(session: Session, batch: TransferBatch) -> list[Problem]:
    """The checks before a transfer: every file has its cover fields (title, dates, sheets), every box holds files,
    and only permanent files go to a historical archive."""
    to_historical = batch.receiver.kind == OrgKind.HISTORICAL_ARCHIVE
    problems: list[Problem] = []
    rows = session.execute(
        select(Box.code, File.number, File.title, File.date_from, File.date_to, File.pages, File.retention_years)
        .select_from(TransferItem)
        .join(Box, Box.id == TransferItem.box_id)
        .outerjoin(File, File.box_id == Box.id)
        .where(TransferItem.batch_id == batch.id, TransferItem.expected.is_(True), TransferItem.outcome != WITHDRAWN)
        .order_by(Box.code, File.number)
    )
    for code, num, title, dfrom, dto, pages, retention in rows:
        if num is None:
            problems.append(Problem(code, None, "empty_box"))
            continue
        if not (title or "").strip():
            problems.append(Problem(code, num, "no_title"))
        if dfrom is None and dto is None:
            problems.append(Problem(code, num, "no_dates"))
        if not pages:
            problems.append(Problem(code, num, "no_pages"))
        if to_historical and retention is not None:
            problems.append(Problem(code, num, "not_permanent"))
    return problems


@dataclass(frozen=True, slots=True)
class ListedFile:
    """One row of the mục lục hồ sơ."""

    box_code: str
    box_number: int
    catalogue: int
    fonds_code: str
    number: int
    title: str
    date_from: date | None
    date_to: date | None
    pages: int
    retention_years: int | None
    notes: str


def batch_files(session: Session, batch: TransferBatch) -> list[ListedFile]:
    """The files of the boxes on the batch's list, in fonds, catalogue, box, file order."""
    rows = session.execute(
        select(
            Box.code,
            Box.number,
            Catalogue.number,
            Fonds.code,
            File.number,
            File.title,
            File.date_from,
            File.date_to,
            File.pages,
            File.retention_years,
            File.notes,
        )
        .select_from(TransferItem)
        .join(Box, Box.id == TransferItem.box_id)
        .join(Catalogue, Catalogue.id == Box.catalogue_id)
        .join(Fonds, Fonds.id == Box.fonds_id)
        .join(File, File.box_id == Box.id)
        .where(
            TransferItem.batch_id == batch.id,
            TransferItem.expected.is_(True),
            TransferItem.outcome.not_in([WITHDRAWN, REJECTED]),
        )
        .order_by(Fonds.code, Catalogue.number, Box.number, File.number)
    )
    return [ListedFile(*r) for r in rows]


@dataclass(frozen=True, slots=True)
class BatchTotals:
    """Quantities of the biên bản: boxes, files, linear metres (from box thickness), date range."""

    boxes: int
    files: int
    metres: float
    date_from: date | None
    date_to: date | None


def batch_totals(session: Session, batch: TransferBatch) -> BatchTotals:
    live = (
        TransferItem.batch_id == batch.id,
        TransferItem.expected.is_(True),
        TransferItem.outcome.not_in([WITHDRAWN, REJECTED, MISSING]),
    )
    boxes, metres, dfrom, dto = session.execute(
        select(
            func.count(Box.id), func.coalesce(func.sum(Box.width_m), 0), func.min(Box.date_from), func.max(Box.date_to)
        )
        .select_from(TransferItem)
        .join(Box, Box.id == TransferItem.box_id)
        .where(*live)
    ).one()
    files = session.scalar(
        select(func.count(File.id))
        .select_from(TransferItem)
        .join(File, File.box_id == TransferItem.box_id)
        .where(*live)
    )
    return BatchTotals(int(boxes), int(files or 0), round(float(metres), 2), dfrom, dto)


def batches_for(session: Session, actor: str, *, state: str | None = None) -> list[TransferBatch]:
    """The batches the caller may see: those of its organisation (either side), or all for users of every one."""
    q = select(TransferBatch).order_by(TransferBatch.created_at.desc(), TransferBatch.id.desc())
    mine = organisation_of_actor(session, actor)
    if mine is not None:
        q = q.where((TransferBatch.sender_id == mine) | (TransferBatch.receiver_id == mine))
    if state:
        q = q.where(TransferBatch.state == state)
    return list(session.scalars(q.limit(500)))
