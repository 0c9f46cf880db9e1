"""box index (status, due_back): the list of checked-out boxes, overdue first

Revision ID: i0006
Revises: i0005
"""

from alembic import op

revision = "i0006"
down_revision = "i0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("boxes", schema=None) as batch_op:
        batch_op.create_index("ix_boxes_status_due_back", ["status", "due_back"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("boxes", schema=None) as batch_op:
        batch_op.drop_index("ix_boxes_status_due_back")
