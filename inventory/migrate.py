"""Alembic, driven from code: one history with a branch per package that owns tables."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, extra_version_dirs: list[Path] | None = None) -> Config:
    """A Config for ``url`` whose history spans inventory's versions and ``extra_version_dirs``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    dirs = [MIGRATIONS_DIR / "versions", *(extra_version_dirs or [])]
    cfg.set_main_option("version_locations", " ".join(str(d) for d in dirs))
    cfg.set_main_option("path_separator", "space")
    # '%' would be read as interpolation by ConfigParser
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, extra_version_dirs: list[Path] | None = None, revision: str = "heads") -> None:
    """Bring the schema at ``url`` up to ``revision`` (all branches by default)."""
    command.upgrade(alembic_config(url, extra_version_dirs), revision)


def downgrade(url: str, extra_version_dirs: list[Path] | None = None, revision: str = "base") -> None:
    """Take the schema at ``url`` down to ``revision`` (empty by default)."""
    command.downgrade(alembic_config(url, extra_version_dirs), revision)


def heads(url: str, extra_version_dirs: list[Path] | None = None) -> set[str]:
    """The head revisions the code knows."""
    return set(ScriptDirectory.from_config(alembic_config(url, extra_version_dirs)).get_heads())


def current(engine: Engine) -> set[str]:
    """Revisions the database is at (empty for an empty database)."""
    if not inspect(engine).has_table("alembic_version"):
        return set()
    with engine.connect() as conn:
        from sqlalchemy import text

        return {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
