"""PostgreSQL: box code index in the "C" collation, so prefix search can also return codes in index order

Revision ID: i0005
Revises: i0004
"""

from alembic import op

revision = "i0005"
down_revision = "i0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_boxes_code_prefix")
        op.execute('CREATE INDEX ix_boxes_code_c ON boxes (code COLLATE "C")')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_boxes_code_c")
        op.execute("CREATE INDEX ix_boxes_code_prefix ON boxes (code varchar_pattern_ops)")
