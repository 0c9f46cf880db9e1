"""Alembic: the inventory schema comes up from empty and goes back down, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import inventory.models  # noqa: F401  (registers every inventory table on Base.metadata)
from inventory.db import Base, make_engine
from kho import db as kho_db

INVENTORY_TABLES = {
    "users", "api_tokens", "shelving_units", "shelves", "slots", "fonds", "catalogues", "boxes", "files",
    "label_tokens", "box_events", "stocktakes", "stocktake_scans", "cleaning_schedules", "cleaning_tasks",
}


def test_upgrade_from_empty_and_downgrade_to_base(db_url: str) -> None:
    kho_db.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables >= INVENTORY_TABLES
        if db_url.startswith("sqlite"):
            assert "files_fts" in tables
        else:
            assert "ix_files_title_tsv" in {ix["name"] for ix in inspect(engine).get_indexes("files")}
        # The migrations create exactly what the models declare (no drift between the two).
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": _only_inventory})
            diffs = compare_metadata(ctx, Base.metadata)
        assert diffs == [], diffs
        kho_db.downgrade(db_url)
        engine.dispose()
        left = set(inspect(engine).get_table_names())
        assert not (INVENTORY_TABLES & left), left
        assert not any(t.startswith("files_fts") for t in left)
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
