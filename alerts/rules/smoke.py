"""Smoke: the binary input or ``smoke_level`` above the room's alert/action levels; no hold, no delay."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alerts.rules.base import AlertRule, Context, OpenAlert, Rule, Signal
from collector.reading import Reading
from inventory.climate import limits_for
from inventory.directory import RoomEntry

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings

# A room the registry does not know (yet) is judged with the paper limits: smoke is never ignored.
_UNKNOWN_ROOM_LIMITS = limits_for("paper")


class SmokeRule(AlertRule):
    """Binary smoke or level ≥ action level → critical; level ≥ alert level → warning (still never delayed)."""

    name = "smoke"
    produces = (Rule.SMOKE,)
    urgent_fields = frozenset({"smoke", "smoke_level"})

    def __init__(self, deadband: float) -> None:
        self.deadband = deadband
        self.active: dict[str, int] = {}  # device -> last ts while smoky
        self.last_ts: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.smoke_level_deadband)

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        for a in open_alerts:
            self.active[a.device_id] = ctx.now_ms

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        f = r.fields
        if "smoke" not in f and "smoke_level" not in f:
            return []
        if r.ts_ms < self.last_ts.get(r.device_id, 0):
            return []
        self.last_ts[r.device_id] = r.ts_ms
        level = f.get("smoke_level")
        binary = f.get("smoke", 0.0) >= 1.0
        lim = room.limits if room is not None else _UNKNOWN_ROOM_LIMITS
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
