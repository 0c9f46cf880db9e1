"""Destruction of files whose retention has expired (tiêu hủy tài liệu hết giá trị; Luật Lưu trữ 2024 Điều 16,
Thông tư 06/2025/TT-BNV): the candidate list (year ended + retention ≤ the year; never permanent files), the
council's review (members, votes, dissent; decided by majority), the appraisal opinion, the head's decision, the
handover to the destroyer and the destruction record, due within ``destruction_record_days`` of the decision.

Destroyed files and boxes stay in the registry, marked destroyed and tied to their destruction file; a box whose
files are all destroyed frees its slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from inventory.archival.due import year_ended
from inventory.archival.models import (
    BoxArchival,
    CouncilMember,
    DestructionFile,
    DestructionReview,
    FondsArchival,
    Organisation,
    ReviewState,
)
from inventory.archival.orgs import get_organisation, organisation_of_actor
from inventory.archival.settings import ArchivalSettings
from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import Box, BoxEvent, BoxStatus, EventKind, File

ROLES = ("chair", "secretary", "unit_leader", "expert", "member")
_OPEN_STATES = (ReviewState.REVIEW.value, ReviewState.DECIDED.value, ReviewState.HANDED.value)


class NotYourReview(RegistryError):
    http_status = 403


def ensure_own(session: Session, review: DestructionReview, actor: str) -> None:
    """NotYourReview unless ``actor`` acts for the review's organisation (or for every organisation)."""
    org = organisation_of_actor(session, actor)
    if org is not None and org != review.organisation_id:
        raise NotYourReview(f"destruction {review.code} belongs to another organisation")


@dataclass(frozen=True, slots=True)
class ExpiredFile:
    file_id: int
    box_code: str
    number: int
    title: str
    year_ended: int
    retention_years: int
    expired_in: int  # year ended + retention


def expired_files(session: Session, org: Organisation, year: int) -> list[ExpiredFile]:
    """Files kept by ``org`` whose retention has expired by ``year`` (year ended + retention ≤ year), not yet
    destroyed and not on another open destruction list. Permanent files never appear."""
    kept_by = func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)
    listed = (
        select(DestructionFile.file_id)
        .join(DestructionReview, DestructionReview.id == DestructionFile.review_id)
        .where(
            (DestructionFile.destroyed_on.is_not(None))
            | (DestructionReview.state.in_(_OPEN_STATES) & DestructionFile.kept.is_(False))
        )
    )
    rows = session.execute(
        select(File.id, Box.code, File.number, File.title, File.date_to, Box.date_to, File.retention_years)
        .join(Box, Box.id == File.box_id)
        .outerjoin(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
        .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
        .where(
            kept_by == org.id,
            File.retention_years.is_not(None),
            File.id.not_in(listed),
            Box.status.not_in([BoxStatus.HANDOVER.value, BoxStatus.DESTROYED.value]),
        )
        .order_by(Box.code, File.number)
    )
    out = []
    for fid, code, num, title, fdt, bdt, retention in rows:
        ended = year_ended(fdt, bdt)
        if ended is None or retention is None or ended + retention > year:
            continue
        out.append(ExpiredFile(fid, code, num, title, ended, retention, ended + retention))
    return out


def open_review(
    session: Session, org_ref: str | int, year: int, actor: str, explanation: str = ""
) -> DestructionReview:
    """Start a destruction file with every expired file of the organisation on its list."""
    org = get_organisation(session, org_ref)
    mine = organisation_of_actor(session, actor)
    if mine is not None and mine != org.id:
        raise NotYourReview(f"only staff of {org.name} can propose destroying its files")
    files = expired_files(session, org, year)
    if not files:
        raise Conflict(f"{org.name} has no file whose retention expired by {year}")
    n = session.scalar(select(func.count()).select_from(DestructionReview)) or 0
    review = DestructionReview(
        code=f"TH{year}-{n + 1:04d}", organisation_id=org.id, year=year, explanation=explanation, created_by=actor
    )
    session.add(review)
    session.flush()
    session.execute(
        insert(DestructionFile), [{"review_id": review.id, "file_id": f.file_id, "kept": False} for f in files]
    )
    session.flush()
    return review


def get_review(session: Session, ref: int | str) -> DestructionReview:
    r = (
        session.get(DestructionReview, ref)
        if isinstance(ref, int)
        else session.scalar(select(DestructionReview).where(DestructionReview.code == ref.strip().upper()))
    )
    if r is None:
        raise NotFound(f"no destruction file {ref}")
    return r


def _state(review: DestructionReview, *states: ReviewState) -> None:
    if review.state not in states:
        raise Conflict(f"destruction {review.code} is at step {review.state}: not possible now")


def add_member(session: Session, review: DestructionReview, name: str, role: str, actor: str) -> CouncilMember:
    ensure_own(session, review, actor)
    _state(review, ReviewState.REVIEW)
    if role not in ROLES:
        raise RegistryError(f"unknown council role {role!r}: use {', '.join(ROLES)}")
    if not name.strip():
        raise RegistryError("council member's name is empty")
    m = CouncilMember(review_id=review.id, name=name.strip(), role=role, vote="", dissent="")
    session.add(m)
    session.flush()
    session.expire(review, ["members"])
    return m


def keep_file(session: Session, review: DestructionReview, file_id: int, actor: str) -> None:
    """The council takes a file off the list: it is kept."""
    ensure_own(session, review, actor)
    _state(review, ReviewState.REVIEW)
    row = session.get(DestructionFile, (review.id, file_id))
    if row is None:
        raise NotFound(f"file {file_id} is not on destruction list {review.code}")
    row.kept = True
    session.flush()


def vote(
    session: Session, review: DestructionReview, member_id: int, approve: bool, actor: str, dissent: str = ""
) -> None:
    """Record a member's vote; a vote against should carry the member's dissent for the minutes."""
    ensure_own(session, review, actor)
    _state(review, ReviewState.REVIEW)
    m = session.get(CouncilMember, member_id)
    if m is None or m.review_id != review.id:
        raise NotFound(f"no council member {member_id} in {review.code}")
    m.vote = "approve" if approve else "reject"
    m.dissent = dissent.strip()
    m.voted_at = utcnow()
    session.flush()


@dataclass(frozen=True, slots=True)
class CouncilResult:
    members: int
    approve: int
    reject: int
    pending: int
    dissent: list[tuple[str, str]]

    @property
    def majority(self) -> bool:
        """More than half of all members voted for destruction."""
        return self.members > 0 and self.approve * 2 > self.members


def council_result(session: Session, review: DestructionReview) -> CouncilResult:
    ms = list(session.scalars(select(CouncilMember).where(CouncilMember.review_id == review.id)))
    return CouncilResult(
        len(ms),
        sum(m.vote == "approve" for m in ms),
        sum(m.vote == "reject" for m in ms),
        sum(m.vote == "" for m in ms),
        [(m.name, m.dissent) for m in ms if m.dissent],
    )


def record_appraisal(session: Session, review: DestructionReview, by: str, opinion: str, on: date, actor: str) -> None:
    """The competent body's appraisal opinion (thẩm định)."""
    ensure_own(session, review, actor)
    _state(review, ReviewState.REVIEW)
    if not by.strip() or not opinion.strip():
        raise RegistryError("say who appraised and what their opinion is")
    review.appraisal_by, review.appraisal_opinion, review.appraisal_on = by.strip(), opinion.strip(), on
    session.flush()


def decide(
    session: Session,
    review: DestructionReview,
    number: str,
    on: date,
    head: str,
    actor: str,
    cfg: ArchivalSettings,
) -> date | None:
    """The head's decision to destroy; needs the appraisal and the council's majority. Returns the date by which
    the destruction record must be signed, or None when the council had no majority: the list is then rejected
    (its files may go on a later list)."""
    ensure_own(session, review, actor)
    _state(review, ReviewState.REVIEW)
    res = council_result(session, review)
    if res.pending:
        raise Conflict(f"{res.pending} council member(s) have not voted yet")
    if not res.majority:
        review.state = ReviewState.REJECTED.value
        session.flush()
        return None
    if review.appraisal_on is None:
        raise Conflict("record the appraisal opinion first")
    if not number.strip() or not head.strip():
        raise RegistryError("give the decision's number and who signed it")
    review.decision_number, review.decision_on, review.decided_by = number.strip(), on, head.strip()
    review.record_due = on + timedelta(days=cfg.destruction_record_days)
    review.state = ReviewState.DECIDED.value
    session.flush()
    return review.record_due


def hand_to_destroyer(session: Session, review: DestructionReview, destroyer: str, on: date, actor: str) -> None:
    ensure_own(session, review, actor)
    _state(review, ReviewState.DECIDED)
    if not destroyer.strip():
        raise RegistryError("name who destroys the records")
    review.destroyer, review.handed_on, review.state = destroyer.strip(), on, ReviewState.HANDED.value
    session.flush()


def sign_record(session: Session, review: DestructionReview, number: str, signed_on: date, actor: str) -> int:
    """The destruction record is signed: the listed files are marked destroyed, boxes left with no live file are
    marked destroyed and leave their slots. A record signed after the deadline is kept, flagged late. Returns the
    number of boxes destroyed."""
    ensure_own(session, review, actor)
    _state(review, ReviewState.HANDED)
    if not number.strip():
        raise RegistryError("give the destruction record's number")
    review.record_number, review.record_signed_on = number.strip(), signed_on
    review.late = review.record_due is not None and signed_on > review.record_due
    review.state = ReviewState.DESTROYED.value
    session.execute(
        update(DestructionFile)
        .where(DestructionFile.review_id == review.id, DestructionFile.kept.is_(False))
        .values(destroyed_on=signed_on)
    )
    destroyed = select(DestructionFile.file_id).where(DestructionFile.destroyed_on.is_not(None))
    touched = (
        select(File.box_id)
        .join(DestructionFile, DestructionFile.file_id == File.id)
        .where(DestructionFile.review_id == review.id, DestructionFile.kept.is_(False))
    )
    live = select(File.box_id).where(File.id.not_in(destroyed))
    gone: list[tuple[int, int | None]] = [
        (b, slot)
        for b, slot in session.execute(
            select(Box.id, Box.current_slot_id).where(Box.id.in_(touched), Box.id.not_in(live))
        )
    ]
    now = utcnow()
    if gone:
        session.execute(
            insert(BoxEvent),
            [
                {
                    "box_id": bid,
                    "kind": EventKind.DESTROYED.value,
                    "actor": actor,
                    "at": now,
                    "from_slot_id": slot,
                    "reason": f"{review.code}: {review.record_number}",
                    "data": {"destruction": review.code, "decision": review.decision_number},
                }
                for bid, slot in gone
            ],
        )
        ids = [b for b, _ in gone]
        for i in range(0, len(ids), 500):
            session.execute(
                update(Box)
                .where(Box.id.in_(ids[i : i + 500]))
                .values(
                    status=BoxStatus.DESTROYED.value,
                    status_since=now,
                    current_slot_id=None,
                    home_slot_id=None,
                    version=Box.version + 1,
                )
            )
    session.flush()
    session.expire_all()
    return len(gone)


@dataclass(frozen=True, slots=True)
class DeadlineWarning:
    code: str
    organisation: str
    decision_on: date
    record_due: date
    days_left: int  # negative: late


def record_deadlines(session: Session, today: date, cfg: ArchivalSettings) -> list[DeadlineWarning]:
    """Decided destructions whose record is not signed yet and is due within ``destruction_warn_days`` (or late)."""
    rows = session.execute(
        select(DestructionReview.code, Organisation.name, DestructionReview.decision_on, DestructionReview.record_due)
        .join(Organisation, Organisation.id == DestructionReview.organisation_id)
        .where(DestructionReview.state.in_([ReviewState.DECIDED.value, ReviewState.HANDED.value]))
        .order_by(DestructionReview.record_due)
    )
    out = []
    for code, name, decided, due in rows:
        if decided is None or due is None:
            continue
        left = (due - today).days
        if left <= cfg.destruction_warn_days:
            out.append(DeadlineWarning(code, name, decided, due, left))
    return out


def destroyed_files_of(session: Session, review: DestructionReview) -> list[tuple[str, int, str, date | None]]:
    """(box code, file number, title, destroyed on) of a destruction file's list (what the record lists)."""
    rows = session.execute(
        select(Box.code, File.number, File.title, DestructionFile.destroyed_on)
        .join(File, File.id == DestructionFile.file_id)
        .join(Box, Box.id == File.box_id)
        .where(DestructionFile.review_id == review.id, DestructionFile.kept.is_(False))
        .order_by(Box.code, File.number)
    )
    return [(c, n, t, d) for c, n, t, d in rows]
