"""destruction_documents: scanned documents (PDF or image) of a destruction file — the appraisal opinion, the
head's decision, the destruction record — stored as private files under the state directory

Revision ID: i0012
Revises: i0011
"""

import sqlalchemy as sa
from alembic import op

from inventory.db import UTCDateTime

revision = "i0012"
down_revision = "i0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "destruction_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "review_id", sa.Integer(), sa.ForeignKey("destruction_reviews.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("stored", sa.String(300), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_destruction_documents_review_id", "destruction_documents", ["review_id"])


def downgrade() -> None:
    op.drop_table("destruction_documents")
