"""reshelve_tasks: boxes a confirmed stocktake found on another shelf, to be taken back to their slot

One row per box, deleted when the box is put away; the box page, search and the home page list them.

Revision ID: i0009
Revises: i0008
"""

import sqlalchemy as sa
from alembic import op

import inventory.db

revision = "i0009"
down_revision = "i0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reshelve_tasks",
        sa.Column("box_id", sa.Integer(), sa.ForeignKey("boxes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("found_shelf_id", sa.Integer(), sa.ForeignKey("shelves.id", ondelete="SET NULL"), nullable=True),
        sa.Column("stocktake_id", sa.Integer(), sa.ForeignKey("stocktakes.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", inventory.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_reshelve_tasks_created_at", "reshelve_tasks", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_reshelve_tasks_created_at", table_name="reshelve_tasks")
    op.drop_table("reshelve_tasks")
