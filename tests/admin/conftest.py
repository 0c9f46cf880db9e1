"""Manager and admin page fixtures: the wall's seeded registry (site QT, rooms P1 paper and F1 photo, users) on a
live app with the climate history read from a real influxd."""

from __future__ import annotations

from tests.wall.conftest import PASSWORD, Wall, fast_password_hashing, wall  # noqa: F401 (fixtures)

__all__ = ["PASSWORD", "Wall"]
