"""wall_links: read-only, revocable links for wall displays (kiosks)

Revision ID: i0010
Revises: i0009
"""

import sqlalchemy as sa
from alembic import op

from inventory.db import UTCDateTime

revision = "i0010"
down_revision = "i0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wall_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("site_code", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("wall_links")
