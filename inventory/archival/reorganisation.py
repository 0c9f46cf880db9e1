"""Reorganisation handovers (chia, tách, sáp nhập, hợp nhất, giải thể): one operation per decision.

Registering the decision closes the fonds of the bodies that end (from the decision date) and counts their boxes;
kho then proposes where each box goes, by the rules of Luật Lưu trữ 2024 Điều 13 and Thông tư 06/2025/TT-BNV:

* a box of permanent files → the historical archive competent for the body;
* otherwise, a body split (chia) or dissolved (giải thể) and ended → its direct superior body;
* a unit separated (tách) from a body that continues → that body (the first receiving organisation);
* a merger or consolidation (sáp nhập, hợp nhất) → the decision says: the receiving organisation the user picks
  (the first one unless told otherwise).

The handover runs as transfer batches (one per sender and receiver) with the same scanning and documents; the
reconciliation accounts for every box of every ended fonds: received, still in place, or missing with an open
search task. A box in none of these is reported as unaccounted, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.archival.models import (
    BatchKind,
    BatchState,
    BoxArchival,
    CloseReason,
    FondsArchival,
    FondsStatus,
    Organisation,
    Reorganisation,
    SearchTask,
    TransferBatch,
    TransferItem,
)
from inventory.archival.orgs import close_fonds, get_organisation
from inventory.archival.transfers import create_batch, select_boxes
from inventory.errors import NotFound, RegistryError
from inventory.models import Box, BoxStatus, File, Fonds


def _ids(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _fonds_of(session: Session, org_ids: list[int]) -> list[Fonds]:
    return list(
        session.scalars(
            select(Fonds)
            .join(FondsArchival, FondsArchival.fonds_id == Fonds.id)
            .where(FondsArchival.organisation_id.in_(org_ids))
            .order_by(Fonds.code)
        )
    )


def _kept_boxes(session: Session, org_ids: list[int]) -> list[tuple[int, str, int]]:
    """(box id, code, keeping org id) of the boxes the organisations keep now."""
    kept_by = func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)
    return [
        (bid, code, int(org))
        for bid, code, org in session.execute(
            select(Box.id, Box.code, kept_by)
            .outerjoin(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
            .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
            .where(kept_by.in_(org_ids), Box.status != BoxStatus.HANDOVER.value)
            .order_by(Box.code)
        )
    ]


def register_reorganisation(
    session: Session,
    decision: str,
    decided_on: date,
    kind: str,
    ended: list[str],
    receiving: list[str],
    actor: str,
) -> Reorganisation:
    """Register a decision: the ended bodies' fonds close from ``decided_on`` naming the receivers' fonds as their
    successors, and the boxes they keep are counted."""
    if not decision.strip():
        raise RegistryError("name the reorganisation decision (số, ký hiệu)")
    try:
        kind = CloseReason(kind).value
    except ValueError:
        raise RegistryError(
            f"unknown reorganisation kind {kind!r}: use {', '.join(c.value for c in CloseReason)}"
        ) from None
    if not ended:
        raise RegistryError("name at least one body that ends")
    ended_orgs = [get_organisation(session, c) for c in ended]
    receiving_orgs = [get_organisation(session, c) for c in receiving]
    if {o.id for o in ended_orgs} & {o.id for o in receiving_orgs}:
        raise RegistryError("a body cannot both end and receive")
    successors = _fonds_of(session, [o.id for o in receiving_orgs])
    for org in ended_orgs:
        org.ended_on = decided_on
    for fonds in _fonds_of(session, [o.id for o in ended_orgs]):
        row = session.get(FondsArchival, fonds.id)
        if row is not None and row.status != FondsStatus.CLOSED:
            close_fonds(session, fonds, decided_on, kind, successors)
    reorg = Reorganisation(
        decision=decision.strip(),
        decided_on=decided_on,
        kind=kind,
        ended_org_ids=",".join(str(o.id) for o in ended_orgs),
        receiving_org_ids=",".join(str(o.id) for o in receiving_orgs),
        created_by=actor,
        boxes_before=len(_kept_boxes(session, [o.id for o in ended_orgs])),
    )
    session.add(reorg)
    session.flush()
    return reorg


def get_reorganisation(session: Session, reorg_id: int) -> Reorganisation:
    reorg = session.get(Reorganisation, reorg_id)
    if reorg is None:
        raise NotFound(f"no reorganisation {reorg_id}")
    return reorg


@dataclass(frozen=True, slots=True)
class Proposal:
    """Where a box should go and which rule says so (``permanent`` | ``superior`` | ``continuing`` | ``decision``)."""

    box_id: int
    box_code: str
    sender_id: int
    receiver_id: int | None
    rule: str


def propose(session: Session, reorg: Reorganisation, merger_receiver: str | None = None) -> list[Proposal]:
    """The proposed destination of every box the ended bodies keep; ``receiver_id`` None where no rule finds one
    (e.g. a split body with no superior registered)."""
    ended = {
        o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(_ids(reorg.ended_org_ids))))
    }
    receiving = _ids(reorg.receiving_org_ids)
    chosen = get_organisation(session, merger_receiver).id if merger_receiver else (receiving[0] if receiving else None)
    boxes = _kept_boxes(session, list(ended))
    kept_by = func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)
    limited = set(
        session.scalars(
            select(File.box_id)
            .join(Box, Box.id == File.box_id)
            .outerjoin(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
            .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
            .where(kept_by.in_(list(ended)), File.retention_years.is_not(None))
            .distinct()
        )
    )
    out = []
    for bid, code, org_id in boxes:
        org = ended[org_id]
        if bid not in limited and org.historical_archive_id is not None and org.transfer_source:
            out.append(Proposal(bid, code, org_id, org.historical_archive_id, "permanent"))
        elif reorg.kind in (CloseReason.SPLIT, CloseReason.DISSOLUTION, CloseReason.ENDED):
            out.append(Proposal(bid, code, org_id, org.parent_id, "superior"))
        elif reorg.kind == CloseReason.SEPARATION:
            out.append(Proposal(bid, code, org_id, receiving[0] if receiving else org.parent_id, "continuing"))
        else:
            out.append(Proposal(bid, code, org_id, chosen, "decision"))
    return out


def start_handover(
    session: Session,
    reorg: Reorganisation,
    actor: str,
    *,
    merger_receiver: str | None = None,
    overrides: dict[str, str] | None = None,
) -> list[TransferBatch]:
    """Open one handover batch per (sender, receiver) with the proposed boxes on it; ``overrides`` maps box codes to
    receiving organisation codes where the user decides otherwise. Boxes with no destination refuse the start."""
    overrides = {k.strip().upper(): v for k, v in (overrides or {}).items()}
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    lost = []
    for p in propose(session, reorg, merger_receiver):
        receiver = get_organisation(session, overrides[p.box_code]).id if p.box_code in overrides else p.receiver_id
        if receiver is None:
            lost.append(p.box_code)
            continue
        groups[(p.sender_id, receiver)].append(p.box_id)
    if lost:
        raise RegistryError(
            f"{len(lost)} box(es) have no destination (no superior body registered): {', '.join(lost[:10])}"
        )
    batches = []
    for (sender, receiver), box_ids in sorted(groups.items()):
        s_org, r_org = session.get(Organisation, sender), session.get(Organisation, receiver)
        assert s_org is not None and r_org is not None
        b = create_batch(
            session,
            sender,
            receiver,
            actor,
            kind=BatchKind.REORGANISATION.value,
            reorganisation_id=reorg.id,
            title=f"Tài liệu {s_org.name} ({reorg.decision})",
            legal_basis=reorg.decision,
        )
        select_boxes(session, b, actor, box_ids=box_ids)
        batches.append(b)
    return batches


@dataclass
class FondsReconciliation:
    """Every box of one ended fonds, in exactly one column."""

    fonds_code: str
    status: str
    total: int = 0
    received: int = 0
    in_place: int = 0
    missing_searched: int = 0
    unaccounted: list[str] = field(default_factory=list)
    transferred_earlier: int = 0  # left with an earlier transfer: not part of this reorganisation

    @property
    def balanced(self) -> bool:
        return not self.unaccounted and self.total == self.received + self.in_place + self.missing_searched


@dataclass
class Reconciliation:
    """The report of a reorganisation: per ended fonds, and the box count before against now."""

    decision: str
    boxes_before: int
    fonds: list[FondsReconciliation]
    open_batches: list[str]

    @property
    def boxes_now(self) -> int:
        return sum(f.total for f in self.fonds)

    @property
    def complete(self) -> bool:
        """Every box received or searched for, none in place, no batch open, and the counts match."""
        return (
            not self.open_batches
            and all(f.balanced and f.in_place == 0 for f in self.fonds)
            and self.boxes_now == self.boxes_before
        )


def reconcile(session: Session, reorg: Reorganisation) -> Reconciliation:
    """Account for every box of every ended fonds: received by a closed batch of this reorganisation, still in
    place with the ended body, or missing with an open search task; anything else is listed as unaccounted."""
    ended = _ids(reorg.ended_org_ids)
    batch_ids = list(session.scalars(select(TransferBatch.id).where(TransferBatch.reorganisation_id == reorg.id)))
    closed = set(
        session.scalars(
            select(TransferItem.box_id)
            .join(TransferBatch, TransferBatch.id == TransferItem.batch_id)
            .where(
                TransferBatch.reorganisation_id == reorg.id,
                TransferBatch.state == BatchState.CLOSED.value,
                TransferItem.expected.is_(True),
                TransferItem.received_at.is_not(None),
            )
        )
    )
    searched = set(session.scalars(select(SearchTask.box_id).where(SearchTask.closed_at.is_(None))))
    report = []
    for fonds in _fonds_of(session, ended):
        row = session.get(FondsArchival, fonds.id)
        fr = FondsReconciliation(fonds.code, row.status if row else FondsStatus.OPEN.value)
        for bid, code, status, custody, since in session.execute(
            select(Box.id, Box.code, Box.status, BoxArchival.organisation_id, BoxArchival.since)
            .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
            .where(Box.fonds_id == fonds.id)
        ):
            if bid not in closed and custody is not None and custody not in ended and since < reorg.created_at:
                fr.transferred_earlier += 1
                continue
            fr.total += 1
            if bid in closed:
                fr.received += 1
            elif status == BoxStatus.MISSING and bid in searched:
                fr.missing_searched += 1
            elif status != BoxStatus.MISSING and status != BoxStatus.HANDOVER and (custody is None or custody in ended):
                fr.in_place += 1
            else:
                fr.unaccounted.append(code)
        report.append(fr)
    open_codes = list(
        session.scalars(
            select(TransferBatch.code).where(
                TransferBatch.id.in_(batch_ids), TransferBatch.state == BatchState.OPEN.value
            )
        )
    )
    return Reconciliation(reorg.decision, reorg.boxes_before, report, open_codes)
