"""PostgreSQL: file_words (one row per word of a file title) kept by triggers; replaces the GIN tsvector index

The GIN index answers "files with these words" by building the bitmap of every match before LIMIT applies: 55-75 ms
of one core at 5 M files for words found in a large share of the titles ("hồ sơ", "quyết định"). file_words keeps the
same words in a B-tree ordered by (word, file_id): a search reads one word's files in order and stops at its limit
(inventory/services/search.py). SQLite keeps FTS5 (i0004): nothing is done there.

Revision ID: i0007
Revises: i0006
"""

from alembic import op

revision = "i0007"
down_revision = "i0006"
branch_labels = None
depends_on = None

# The words of a normalised title (inventory.textnorm.normalize joins words with one space): split on spaces, each
# word once per title; words of 2,048 bytes or more (like the tsvector's limit) are left out so that a B-tree entry
# always fits. Not STRICT, so that PostgreSQL can inline it into the statements that use it.
TITLE_WORDS = """
CREATE FUNCTION file_title_words(title_norm text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM unnest(string_to_array(title_norm, ' ')) AS w WHERE w <> '' AND octet_length(w) < 2048
$$
"""

# Statement-level triggers with transition tables: one INSERT ... SELECT per statement, however many rows it wrote.
# psycopg's executemany (SQLAlchemy bulk Core inserts: the importer, the benchmark generator) sends one statement
# per row; measured, a statement trigger still costs ~15 % less than a row trigger there, and far less for
# multi-row statements. The cost that remains is writing ~10 B-tree entries per file (~3 µs each).
TRIGGER_FUNCTIONS = [
    """
CREATE FUNCTION file_words_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO file_words (word, file_id)
    SELECT w, n.id FROM new_files AS n CROSS JOIN LATERAL file_title_words(n.title_norm) AS w;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION file_words_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM file_words AS fw
    USING old_files AS o CROSS JOIN LATERAL file_title_words(o.title_norm) AS w
    WHERE fw.word = w AND fw.file_id = o.id;
    RETURN NULL;
END $$
""",
    # Updates are one file at a time (edits, the importer's changed rows): a row trigger that fires only when the
    # title or the id really changed.
    """
CREATE FUNCTION file_words_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM file_words
    WHERE file_id = OLD.id AND word IN (SELECT file_title_words(OLD.title_norm));
    INSERT INTO file_words (word, file_id) SELECT w, NEW.id FROM file_title_words(NEW.title_norm) AS w;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION file_words_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE file_words;
    RETURN NULL;
END $$
""",
]

TRIGGERS = [
    "CREATE TRIGGER file_words_ai AFTER INSERT ON files REFERENCING NEW TABLE AS new_files "
    "FOR EACH STATEMENT EXECUTE FUNCTION file_words_after_insert()",
    "CREATE TRIGGER file_words_ad AFTER DELETE ON files REFERENCING OLD TABLE AS old_files "
    "FOR EACH STATEMENT EXECUTE FUNCTION file_words_after_delete()",
    "CREATE TRIGGER file_words_au AFTER UPDATE OF title_norm, id ON files FOR EACH ROW "
    "WHEN (OLD.title_norm IS DISTINCT FROM NEW.title_norm OR OLD.id <> NEW.id) "
    "EXECUTE FUNCTION file_words_after_update()",
    "CREATE TRIGGER file_words_at AFTER TRUNCATE ON files FOR EACH STATEMENT EXECUTE FUNCTION file_words_after_truncate()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TITLE_WORDS)
    # "C" collation: byte order, so a prefix is one range of the index whatever the database locale is.
    op.execute('CREATE TABLE file_words (word text COLLATE "C" NOT NULL, file_id integer NOT NULL)')
    # Backfill in one statement, then build the primary key by sorting (much faster than growing it row by row).
    op.execute(
        "INSERT INTO file_words (word, file_id) "
        "SELECT w, f.id FROM files AS f CROSS JOIN LATERAL file_title_words(f.title_norm) AS w"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("ALTER TABLE file_words ADD CONSTRAINT pk_file_words PRIMARY KEY (word, file_id)")
    # The search takes the frequencies of the common words from pg_stats: keep the 1,000 most common, not 100.
    op.execute("ALTER TABLE file_words ALTER COLUMN word SET STATISTICS 1000")
    for sql in TRIGGER_FUNCTIONS:
        op.execute(sql)
    for sql in TRIGGERS:
        op.execute(sql)
    # Nothing searches through the tsvector any more.
    op.execute("DROP INDEX IF EXISTS ix_files_title_tsv")
    # The search reads the most common words' frequencies from the statistics (pg_stats) and its scans are
    # index-only scans, which need the visibility map: VACUUM now rather than when autovacuum gets to it (VACUUM
    # cannot run in a transaction: what the migration did so far is committed first).
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) file_words")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_files_title_tsv ON files USING gin (to_tsvector('simple', title_norm))")
    for trig in ("file_words_ai", "file_words_ad", "file_words_au", "file_words_at"):
        op.execute(f"DROP TRIGGER IF EXISTS {trig} ON files")
    for fn in (
        "file_words_after_insert",
        "file_words_after_delete",
        "file_words_after_update",
        "file_words_after_truncate",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    op.execute("DROP TABLE IF EXISTS file_words")
    op.execute("DROP FUNCTION IF EXISTS file_title_words(text)")
