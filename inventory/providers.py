"""Optional data sources the room page reads from ``app.state`` (set by the composition root).

Inventory must not import the collector or the alerts package; the lead wires objects with these shapes onto
``app.state.climate_provider`` and ``app.state.alerts_provider``. When absent or failing, pages show "no data".
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class ClimateProvider(Protocol):
    def latest(self, room_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Latest reading per room id: ``{"temperature_c", "humidity_pct", "smoke", "ts_ms", …}``."""
        ...


@runtime_checkable
class AlertsProvider(Protocol):
    def open_for_room(self, room_id: int) -> list[dict[str, Any]]:
        """Open alerts of a room, each a dict with ``severity``, ``summary`` (or ``message``), ``rule`` (or ``kind``)
        and ``started_at`` (datetime)."""
        ...


def latest_climate(state: Any, room_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Climate per room from ``state.climate_provider`` if there is one; {} when absent or failing."""
    provider = getattr(state, "climate_provider", None)
    if provider is None:
        return {}
    try:
        return dict(provider.latest(room_ids) or {})
    except Exception:  # a dead InfluxDB must not break the keeper's page
        log.warning("climate provider failed", exc_info=True)
        return {}


def open_alerts(state: Any, room_id: int) -> list[dict[str, Any]] | None:
    """Open alerts of a room from ``state.alerts_provider``; None when absent or failing (shown as no data)."""
    provider = getattr(state, "alerts_provider", None)
    if provider is None:
        return None
    try:
        return list(provider.open_for_room(room_id) or [])
    except Exception:
        log.warning("alerts provider failed", exc_info=True)
        return None
