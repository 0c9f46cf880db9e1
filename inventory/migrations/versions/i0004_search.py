"""search indexes: file title words (SQLite FTS5 / PostgreSQL GIN tsvector), box code prefixes

Revision ID: i0004
Revises: i0003
"""

from alembic import op

revision = "i0004"
down_revision = "i0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # External-content FTS5 over files.title_norm (already lower case without diacritics); the triggers keep it
        # in step with inserts, updates and deletes, including bulk Core inserts.
        op.execute(
            "CREATE VIRTUAL TABLE files_fts USING fts5(title_norm, content='files', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute("INSERT INTO files_fts(files_fts) VALUES ('rebuild')")
        op.execute(
            "CREATE TRIGGER files_fts_ai AFTER INSERT ON files BEGIN "
            "INSERT INTO files_fts(rowid, title_norm) VALUES (new.id, new.title_norm); END"
        )
        op.execute(
            "CREATE TRIGGER files_fts_ad AFTER DELETE ON files BEGIN "
            "INSERT INTO files_fts(files_fts, rowid, title_norm) VALUES ('delete', old.id, old.title_norm); END"
        )
        op.execute(
            "CREATE TRIGGER files_fts_au AFTER UPDATE OF title_norm ON files BEGIN "
            "INSERT INTO files_fts(files_fts, rowid, title_norm) VALUES ('delete', old.id, old.title_norm); "
            "INSERT INTO files_fts(rowid, title_norm) VALUES (new.id, new.title_norm); END"
        )
    else:
        op.execute("CREATE INDEX ix_files_title_tsv ON files USING gin (to_tsvector('simple', title_norm))")
        # LIKE 'P12-ML3%' can use this index whatever the database collation is.
        op.execute("CREATE INDEX ix_boxes_code_prefix ON boxes (code varchar_pattern_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trig in ("files_fts_ai", "files_fts_ad", "files_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trig}")
        op.execute("DROP TABLE IF EXISTS files_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_files_title_tsv")
        op.execute("DROP INDEX IF EXISTS ix_boxes_code_prefix")
