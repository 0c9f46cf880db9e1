"""Tables of the archival workflows: organisations, who keeps each box, transfer batches and their boxes,
reorganisations and the search tasks opened for boxes that did not turn up, destruction files and their scanned
documents, backlog measurements, retention tables."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import inventory.models  # noqa: F401  (the fonds, boxes, users and slots these tables refer to)
from inventory.db import Base, UTCDateTime, utcnow


class OrgKind(StrEnum):
    """What an organisation is in the archival chain."""

    AGENCY = "agency"  # cơ quan, tổ chức: keeps a current archive (lưu trữ hiện hành)
    SUPERIOR = "superior"  # cơ quan cấp trên trực tiếp
    HISTORICAL_ARCHIVE = "historical_archive"  # Lưu trữ lịch sử
    COMMUNE = "commune"  # cấp xã: later backlog deadline


class FondsStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # khóa phông: no new files or boxes


class CloseReason(StrEnum):
    """Why a fonds was closed: the reorganisation of its body (Luật Lưu trữ 2024 Điều 13)."""

    SPLIT = "chia"
    SEPARATION = "tach"
    MERGER = "sap_nhap"
    CONSOLIDATION = "hop_nhat"
    DISSOLUTION = "giai_the"
    ENDED = "ket_thuc"


class TransferRule(StrEnum):
    """When permanent files of a fonds are due in the historical archive."""

    FIVE_YEARS = "5y"  # year entered the current archive + 5 (Luật 2024 Điều 17)
    THIRTY_YEARS = "30y"  # year entered the current archive + 30 (where another law says so)
    LAW_2011 = "2011"  # year the work ended + 10 (Luật 2011)


class BatchKind(StrEnum):
    TRANSFER = "transfer"
    REORGANISATION = "reorganisation"


class BatchState(StrEnum):
    OPEN = "open"  # being prepared and scanned
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Organisation(Base):
    """An agency, a superior body or a historical archive sharing this kho; ``parent`` is its direct superior,
    ``historical_archive`` the archive competent for its permanent records."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(24), default=OrgKind.AGENCY.value)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True)
    historical_archive_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True
    )
    # Nguồn nộp lưu: its permanent records must go to the historical archive.
    transfer_source: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    historical_archive: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[historical_archive_id]
    )


class FondsSuccessor(Base):
    """A closed fonds names the fonds (of the bodies) that took over from it."""

    __tablename__ = "fonds_successors"

    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id", ondelete="CASCADE"), primary_key=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("fonds.id", ondelete="CASCADE"), primary_key=True)


class FondsArchival(Base):
    """The archival side of a fonds: whose it is, open or closed (khóa phông), and the rule for when its permanent
    files are due in the historical archive. A fonds without a row is open, of no organisation, rule 5y."""

    __tablename__ = "fonds_archival"

    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=FondsStatus.OPEN.value)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_reason: Mapped[str] = mapped_column(String(16), default="")
    transfer_rule: Mapped[str] = mapped_column(String(8), default=TransferRule.FIVE_YEARS.value)


class BoxArchival(Base):
    """The archival side of a box: the organisation keeping it when that is not its fonds' organisation (after a
    transfer), and the year its files entered the current archive (None: still with the unit that made them)."""

    __tablename__ = "box_archival"

    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    year_into_current: Mapped[int | None] = mapped_column(Integer, nullable=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_batches.id", ondelete="SET NULL"), nullable=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserOrganisation(Base):
    """The organisation whose boxes a user's role applies to; a user without a row acts for every organisation."""

    __tablename__ = "user_organisations"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)


class Reorganisation(Base):
    """One reorganisation decision: the bodies that end, those that receive, and the handover batches it runs."""

    __tablename__ = "reorganisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision: Mapped[str] = mapped_column(String(200))  # e.g. "Quyết định 123/QĐ-UBND"
    decided_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # a CloseReason value
    ended_org_ids: Mapped[str] = mapped_column(Text, default="")  # comma-separated ids, in the decision's order
    receiving_org_ids: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Box counts of the ended fonds when the reorganisation was registered: the reconciliation checks against it.
    boxes_before: Mapped[int] = mapped_column(Integer, default=0)


class TransferBatch(Base):
    """A transfer (or a handover of a reorganisation) from one organisation to another, with the fields of the
    biên bản giao nhận and of the digital transfer registration."""

    __tablename__ = "transfer_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default=BatchKind.TRANSFER.value)
    state: Mapped[str] = mapped_column(String(16), default=BatchState.OPEN.value)
    sender_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    reorganisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reorganisations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(500), default="")  # tên tài liệu giao nộp
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    sender_rep: Mapped[str] = mapped_column(String(200), default="")
    sender_rep_position: Mapped[str] = mapped_column(String(200), default="")
    receiver_rep: Mapped[str] = mapped_column(String(200), default="")
    receiver_rep_position: Mapped[str] = mapped_column(String(200), default="")
    condition: Mapped[str] = mapped_column(Text, default="")  # tình trạng vật lý
    # Digital transfer registration (Thông tư 05/2025 Điều 23).
    request_code: Mapped[str] = mapped_column(String(64), default="")
    org_code: Mapped[str] = mapped_column(String(64), default="")
    files_registered: Mapped[int] = mapped_column(Integer, default=0)
    files_approved: Mapped[int] = mapped_column(Integer, default=0)
    files_received: Mapped[int] = mapped_column(Integer, default=0)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    digital_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    sender: Mapped[Organisation] = relationship(foreign_keys=[sender_id])
    receiver: Mapped[Organisation] = relationship(foreign_keys=[receiver_id])
    items: Mapped[list[TransferItem]] = relationship(
        back_populates="batch", order_by="TransferItem.id", cascade="all, delete-orphan"
    )


class TransferItem(Base):
    """A box of a batch: expected (on the list) or unexpected (scanned, not on it), and each side's scan."""

    __tablename__ = "transfer_items"
    __table_args__ = (UniqueConstraint("batch_id", "box_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("transfer_batches.id", ondelete="CASCADE"))
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="RESTRICT"), index=True)
    expected: Mapped[bool] = mapped_column(Boolean, default=True)
    # withdrawn: taken off the list (stays with the sender); missing: did not turn up, a search task is open.
    outcome: Mapped[str] = mapped_column(String(16), default="")
    scanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scanned_out_by: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_by: Mapped[str] = mapped_column(String(100), default="")
    to_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"), nullable=True)

    batch: Mapped[TransferBatch] = relationship(back_populates="items")


class SearchTask(Base):
    """A box that should be somewhere and is not: open until it is found (or written off)."""

    __tablename__ = "search_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_batches.id", ondelete="SET NULL"), nullable=True)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class ReviewState(StrEnum):
    """Steps of a destruction (tiêu hủy) of files whose retention has expired."""

    REVIEW = "review"  # the council reviews the list and votes
    REJECTED = "rejected"  # no majority for destruction
    DECIDED = "decided"  # appraisal recorded, the head decided: the record is due within 15 days
    HANDED = "handed"  # handed over to the destroyer
    DESTROYED = "destroyed"  # destruction record signed


class DestructionReview(Base):
    """One destruction file (hồ sơ hủy tài liệu): the list, the council's votes, the appraisal, the head's decision,
    the handover to the destroyer and the destruction record."""

    __tablename__ = "destruction_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=ReviewState.REVIEW.value)
    year: Mapped[int] = mapped_column(Integer)  # retention expired by this year
    explanation: Mapped[str] = mapped_column(Text, default="")  # bản thuyết minh
    appraisal_by: Mapped[str] = mapped_column(String(300), default="")  # the competent body
    appraisal_opinion: Mapped[str] = mapped_column(Text, default="")
    appraisal_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision_number: Mapped[str] = mapped_column(String(100), default="")
    decision_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    record_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    destroyer: Mapped[str] = mapped_column(String(300), default="")
    handed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    record_number: Mapped[str] = mapped_column(String(100), default="")
    record_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    members: Mapped[list[CouncilMember]] = relationship(order_by="CouncilMember.id", cascade="all, delete-orphan")


class CouncilMember(Base):
    """A member of the value-appraisal council (Hội đồng xác định giá trị tài liệu) and their vote."""

    __tablename__ = "destruction_council"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("destruction_reviews.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # chair | secretary | unit_leader | expert | member
    vote: Mapped[str] = mapped_column(String(8), default="")  # approve | reject | "" (not yet)
    dissent: Mapped[str] = mapped_column(Text, default="")  # written in the minutes
    voted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DestructionFile(Base):
    """A file on a destruction list; ``kept`` when the council took it off (it stays); ``destroyed_on`` once gone."""

    __tablename__ = "destruction_files"

    review_id: Mapped[int] = mapped_column(ForeignKey("destruction_reviews.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key: files are never deleted by kho, and one would forbid maintenance's TRUNCATE of files.
    file_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    kept: Mapped[bool] = mapped_column(Boolean, default=False)
    destroyed_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class DocumentKind(StrEnum):
    """The scanned papers of a destruction file."""

    APPRAISAL = "appraisal"  # the competent body's appraisal opinion (văn bản thẩm định)
    DECISION = "decision"  # the head's decision to destroy (quyết định hủy)
    RECORD = "record"  # the signed destruction record (biên bản hủy)


class DestructionDocument(Base):
    """A scanned document (PDF or image) attached to a destruction file; the bytes are a private file under the
    state directory (``stored`` is relative to it), served with ``media_type`` — the type the bytes proved to be."""

    __tablename__ = "destruction_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("destruction_reviews.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))  # the name it was uploaded with, for the download
    stored: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BacklogKind(StrEnum):
    REGISTERED = "registered"  # unarranged holdings found and measured
    ARRANGED = "arranged"  # metres arranged (chỉnh lý) into catalogued files and boxes


class BacklogEntry(Base):
    """A measurement of a fonds' backlog (tài liệu tồn đọng chưa chỉnh lý): metres registered, or metres arranged;
    the backlog at a date is what was registered minus what was arranged up to it."""

    __tablename__ = "backlog_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    fonds_id: Mapped[int] = mapped_column(ForeignKey("fonds.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    metres: Mapped[float] = mapped_column(Numeric(10, 3, asdecimal=False))
    bundles: Mapped[int] = mapped_column(Integer, default=0)  # bó, measured by their stack height
    measured_on: Mapped[date] = mapped_column(Date)
    catalogue_id: Mapped[int | None] = mapped_column(ForeignKey("catalogues.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RetentionRule(Base):
    """One row of a retention table (bảng thời hạn lưu trữ, e.g. Thông tư 10/2022/TT-BNV or an organisation's own):
    a group of files and how long it is kept (``years`` None = permanent)."""

    __tablename__ = "retention_rules"
    __table_args__ = (UniqueConstraint("table_name", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    years: Mapped[int | None] = mapped_column(Integer, nullable=True)
