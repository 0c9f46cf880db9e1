"""Alembic: the inventory schema comes up from empty and goes back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

import inventory.models  # noqa: F401  (registers every inventory table on Base.metadata)
from inventory.db import Base, make_engine
from kho import db as kho_db
from tests.inventory.conftest import seed

INVENTORY_TABLES = {
    "users",
    "api_tokens",
    "shelving_units",
    "shelves",
    "slots",
    "fonds",
    "catalogues",
    "boxes",
    "files",
    "label_tokens",
    "box_events",
    "stocktakes",
    "stocktake_scans",
    "cleaning_schedules",
    "cleaning_tasks",
}


def test_upgrade_from_empty_and_downgrade_to_base(db_url: str) -> None:
    kho_db.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables >= INVENTORY_TABLES
        if db_url.startswith("sqlite"):
            assert "files_fts" in tables and "file_words" not in tables
        else:
            # i0007: the word table and its triggers replace the GIN tsvector index
            assert "file_words" in tables
            assert "ix_files_title_tsv" not in {ix["name"] for ix in inspect(engine).get_indexes("files")}
            assert _pg_triggers(engine) == {"file_words_ai", "file_words_ad", "file_words_au", "file_words_at"}
        # The migrations create exactly what the models declare (no drift between the two).
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": _only_inventory})
            diffs = compare_metadata(ctx, Base.metadata)
        assert diffs == [], diffs
        kho_db.downgrade(db_url)
        engine.dispose()
        left = set(inspect(engine).get_table_names())
        assert not (INVENTORY_TABLES & left), left
        assert not any(t.startswith("files_fts") for t in left) and "file_words" not in left
        kho_db.upgrade(db_url)  # and up again from base
        assert set(inspect(engine).get_table_names()) >= INVENTORY_TABLES
    finally:
        engine.dispose()


def _only_inventory(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "table":
        return name in INVENTORY_TABLES
    if type_ == "index" and name in ("ix_files_title_tsv", "ix_boxes_code_c"):
        return False  # dialect-specific search indexes made by raw SQL in i0004
    table = getattr(obj, "table", None)
    return table is None or getattr(table, "name", None) in INVENTORY_TABLES


def _pg_triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'files'::regclass AND NOT tgisinternal"))
        )


def _title_words(engine: Engine) -> set[tuple[str, int]]:
    with engine.connect() as conn:
        return {(w, fid) for fid, tn in conn.execute(text("SELECT id, title_norm FROM files")) for w in tn.split()}


def test_i0007_backfills_file_words_and_goes_back(db_url: str) -> None:
    """Files written before i0007 are searchable after it (one INSERT ... SELECT); its downgrade restores i0006
    (GIN index back, no word table, no triggers or functions left). SQLite: i0007 changes nothing."""
    kho_db.upgrade(db_url, "i0006")
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            seed(s)
            s.execute(text("UPDATE files SET title_norm = title_norm || ' ' || title_norm WHERE id = 1"))  # twice
            s.commit()
        expected = _title_words(engine)
        assert len(expected) > 20
        kho_db.upgrade(db_url)
        engine.dispose()
        if db_url.startswith("sqlite"):
            tables = set(inspect(engine).get_table_names())
            assert "file_words" not in tables and "files_fts" in tables
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM files_fts WHERE files_fts MATCH 'dat'")) == 4
            return
        with engine.connect() as conn:
            got = {(w, int(f)) for w, f in conn.execute(text("SELECT word, file_id FROM file_words"))}
        assert got == expected
        kho_db.downgrade(db_url, "i0006")
        engine.dispose()
        assert "file_words" not in inspect(engine).get_table_names()
        assert "ix_files_title_tsv" in {ix["name"] for ix in inspect(engine).get_indexes("files")}
        assert _pg_triggers(engine) == set()
        with engine.connect() as conn:
            assert (
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_proc WHERE proname LIKE 'file_words%' OR proname = 'file_title_words'"
                    )
                )
                == 0
            )
            # the old search works again on the restored index
            assert (
                conn.scalar(
                    text(
                        "SELECT count(*) FROM files WHERE to_tsvector('simple', title_norm) @@ "
                        "to_tsquery('simple', 'dat & dai')"
                    )
                )
                == 4
            )
        kho_db.upgrade(db_url)
        engine.dispose()
        with engine.connect() as conn:
            assert {(w, int(f)) for w, f in conn.execute(text("SELECT word, file_id FROM file_words"))} == expected
    finally:
        engine.dispose()
