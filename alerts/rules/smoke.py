"""Smoke: the binary input or ``smoke_level`` above the room's alert/action levels; no hold, no delay."""

from __future__ import annotations

from alerts.rules.base import Rule, Signal
from collector.reading import Reading
from inventory.directory import RoomEntry


class SmokeRule:
    """Binary smoke or level ≥ action level → critical; level ≥ alert level → warning (still never delayed)."""

    def __init__(self, deadband: float) -> None:
        self.deadband = deadband
        self.active: dict[str, int] = {}  # device -> last ts while smoky
        self.last_ts: dict[str, int] = {}

    def restore(self, device_id: str, ts_ms: int) -> None:
        self.active[device_id] = ts_ms

    def on_reading(self, r: Reading, room: RoomEntry) -> list[Signal]:
        f = r.fields
        if "smoke" not in f and "smoke_level" not in f:
            return []
        if r.ts_ms < self.last_ts.get(r.device_id, 0):
            return []
        self.last_ts[r.device_id] = r.ts_ms
        level = f.get("smoke_level")
        binary = f.get("smoke", 0.0) >= 1.0
        lim = room.limits
        was = r.device_id in self.active
        threshold = lim.smoke_level_alert - (self.deadband if was else 0.0)
        over = level is not None and level >= threshold
        if binary or over:
            self.active[r.device_id] = r.ts_ms
            critical = binary or (level is not None and level >= lim.smoke_level_action)
            return [
                Signal(
                    Rule.SMOKE,
                    r.site,
                    r.room,
                    r.room_id,
                    r.device_id,
                    True,
                    r.ts_ms,
                    severity="critical" if critical else "warning",
                    value=level if level is not None else 1.0,
                    limit=None if binary else (lim.smoke_level_action if critical else lim.smoke_level_alert),
                    details={"binary": binary},
                )
            ]
        if was:
            del self.active[r.device_id]
            return [Signal(Rule.SMOKE, r.site, r.room, r.room_id, r.device_id, False, r.ts_ms, value=level)]
        return []
