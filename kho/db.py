"""The registry database as the whole application sees it: every package's migration branch."""

from __future__ import annotations

from pathlib import Path

from inventory import migrate

# Each package that owns tables keeps its Alembic branch in <package>/migrations/versions.
_ROOT = Path(__file__).resolve().parent.parent
EXTRA_VERSION_DIRS = [d for d in (_ROOT / "alerts" / "migrations" / "versions",) if d.is_dir()]


def upgrade(url: str, revision: str = "heads") -> None:
    """Create or migrate every package's tables at ``url``."""
    migrate.upgrade(url, EXTRA_VERSION_DIRS, revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Drop every package's tables at ``url`` (to ``revision``)."""
    migrate.downgrade(url, EXTRA_VERSION_DIRS, revision)
