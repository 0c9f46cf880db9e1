"""archival: organisations; the archival side of fonds (organisation, open/closed, transfer rule), of boxes
(custody, year into the current archive) and of users (organisation); transfer batches and their boxes,
reorganisations, search tasks, destruction files (council, votes, files), backlog measurements,
retention tables

Revision ID: i0011
Revises: i0010
"""

import sqlalchemy as sa
from alembic import op

from inventory.db import UTCDateTime

revision = "i0011"
down_revision = "i0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True),
        sa.Column(
            "historical_archive_id",
            sa.Integer(),
            sa.ForeignKey("organisations.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("transfer_source", sa.Boolean(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "fonds_successors",
        sa.Column("fonds_id", sa.Integer(), sa.ForeignKey("fonds.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("successor_id", sa.Integer(), sa.ForeignKey("fonds.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "reorganisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("decision", sa.String(200), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ended_org_ids", sa.Text(), nullable=False),
        sa.Column("receiving_org_ids", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("boxes_before", sa.Integer(), nullable=False),
    )
    op.create_table(
        "transfer_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("receiver_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False),
        sa.Column(
            "reorganisation_id", sa.Integer(), sa.ForeignKey("reorganisations.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("sender_rep", sa.String(200), nullable=False),
        sa.Column("sender_rep_position", sa.String(200), nullable=False),
        sa.Column("receiver_rep", sa.String(200), nullable=False),
        sa.Column("receiver_rep_position", sa.String(200), nullable=False),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("request_code", sa.String(64), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=False),
        sa.Column("files_registered", sa.Integer(), nullable=False),
        sa.Column("files_approved", sa.Integer(), nullable=False),
        sa.Column("files_received", sa.Integer(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("digital_received_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_by", sa.String(100), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_transfer_batches_sender_id", "transfer_batches", ["sender_id"])
    op.create_index("ix_transfer_batches_receiver_id", "transfer_batches", ["receiver_id"])
    op.create_index("ix_transfer_batches_reorganisation_id", "transfer_batches", ["reorganisation_id"])
    op.create_table(
        "transfer_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("transfer_batches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("box_id", sa.Integer(), sa.ForeignKey("boxes.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("scanned_out_at", UTCDateTime(), nullable=True),
        sa.Column("scanned_out_by", sa.String(100), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("received_by", sa.String(100), nullable=False),
        sa.Column("to_slot_id", sa.Integer(), sa.ForeignKey("slots.id", ondelete="SET NULL"), nullable=True),
        sa.UniqueConstraint("batch_id", "box_id"),
    )
    op.create_index("ix_transfer_items_box_id", "transfer_items", ["box_id"])
    op.create_table(
        "fonds_archival",
        sa.Column("fonds_id", sa.Integer(), sa.ForeignKey("fonds.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_reason", sa.String(16), nullable=False),
        sa.Column("transfer_rule", sa.String(8), nullable=False),
    )
    op.create_index("ix_fonds_archival_organisation_id", "fonds_archival", ["organisation_id"])
    op.create_table(
        "box_archival",
        sa.Column("box_id", sa.Integer(), sa.ForeignKey("boxes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=True
        ),
        sa.Column("year_into_current", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("transfer_batches.id", ondelete="SET NULL"), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_box_archival_organisation_id", "box_archival", ["organisation_id"])
    op.create_table(
        "user_organisations",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_index("ix_user_organisations_organisation_id", "user_organisations", ["organisation_id"])
    op.create_table(
        "search_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("box_id", sa.Integer(), sa.ForeignKey("boxes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("transfer_batches.id", ondelete="SET NULL"), nullable=True),
        sa.Column("opened_by", sa.String(100), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_search_tasks_box_id", "search_tasks", ["box_id"])
    op.create_table(
        "destruction_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("appraisal_by", sa.String(300), nullable=False),
        sa.Column("appraisal_opinion", sa.Text(), nullable=False),
        sa.Column("appraisal_on", sa.Date(), nullable=True),
        sa.Column("decision_number", sa.String(100), nullable=False),
        sa.Column("decision_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("record_due", sa.Date(), nullable=True),
        sa.Column("destroyer", sa.String(300), nullable=False),
        sa.Column("handed_on", sa.Date(), nullable=True),
        sa.Column("record_number", sa.String(100), nullable=False),
        sa.Column("record_signed_on", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_destruction_reviews_organisation_id", "destruction_reviews", ["organisation_id"])
    op.create_table(
        "destruction_council",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "review_id", sa.Integer(), sa.ForeignKey("destruction_reviews.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("dissent", sa.Text(), nullable=False),
        sa.Column("voted_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_destruction_council_review_id", "destruction_council", ["review_id"])
    op.create_table(
        "destruction_files",
        sa.Column(
            "review_id",
            sa.Integer(),
            sa.ForeignKey("destruction_reviews.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("file_id", sa.Integer(), primary_key=True),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("destroyed_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_destruction_files_file_id", "destruction_files", ["file_id"])
    op.create_table(
        "backlog_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fonds_id", sa.Integer(), sa.ForeignKey("fonds.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("metres", sa.Numeric(10, 3, asdecimal=False), nullable=False),
        sa.Column("bundles", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("catalogue_id", sa.Integer(), sa.ForeignKey("catalogues.id", ondelete="SET NULL"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_backlog_entries_fonds_id", "backlog_entries", ["fonds_id"])
    op.create_table(
        "retention_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("table_name", sa.String(100), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.UniqueConstraint("table_name", "code"),
    )
    op.create_index("ix_retention_rules_organisation_id", "retention_rules", ["organisation_id"])


def downgrade() -> None:
    for table in (
        "retention_rules",
        "backlog_entries",
        "destruction_files",
        "destruction_council",
        "destruction_reviews",
        "user_organisations",
        "search_tasks",
        "box_archival",
        "fonds_archival",
        "transfer_items",
        "transfer_batches",
        "reorganisations",
        "fonds_successors",
        "organisations",
    ):
        op.drop_table(table)
