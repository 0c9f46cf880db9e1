"""Migrations i0011 and i0012 create exactly the archival tables the models declare; their downgrade removes them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import inventory.archival.models  # noqa: F401  (registers the archival tables)
from inventory.db import Base, make_engine
from kho import db as kho_db

ARCHIVAL_TABLES = {
    "organisations",
    "fonds_archival",
    "fonds_successors",
    "box_archival",
    "user_organisations",
    "transfer_batches",
    "transfer_items",
    "reorganisations",
    "search_tasks",
    "destruction_reviews",
    "destruction_council",
    "destruction_files",
    "destruction_documents",
    "backlog_entries",
    "retention_rules",
}


def _only_archival(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "table":
        return name in ARCHIVAL_TABLES
    table = getattr(obj, "table", None)
    return table is None or getattr(table, "name", None) in ARCHIVAL_TABLES


def test_archival_migration_matches_models(db_url: str) -> None:
    kho_db.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= ARCHIVAL_TABLES
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": _only_archival})
            diffs = compare_metadata(ctx, Base.metadata)
        assert diffs == [], diffs
        kho_db.downgrade(db_url, "i0007")
        engine.dispose()
        tables = set(inspect(engine).get_table_names())
        assert not (ARCHIVAL_TABLES & tables) and "fonds" in tables
    finally:
        engine.dispose()
