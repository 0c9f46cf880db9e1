"""Temperature / RH outside the room's limits, with a hysteresis deadband."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerts.models import Severity
from alerts.rules.base import AlertRule, Context, OpenAlert, Rule, Signal
from collector.reading import Reading
from inventory.directory import RoomEntry

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings


def hysteresis_level(
    prev: int, v: float, target: tuple[float, float], outer: tuple[float, float], deadband: float
) -> int:
    """0 inside target, 1 outside target, 2 outside outer limits; a level is left only once the value is
    ``deadband`` back inside its limits, so a value wobbling on a limit does not flap."""
    raw = 2 if (v > outer[1] or v < outer[0]) else 1 if (v > target[1] or v < target[0]) else 0
    if raw >= prev:
        return raw
    if prev == 2 and not (outer[0] + deadband <= v <= outer[1] - deadband):
        return 2
    if raw == 0 and not (target[0] + deadband <= v <= target[1] - deadband):
        return 1
    return raw


@dataclass(slots=True)
class _Track:
    level: int = 0
    last_ts: int = 0


class ThresholdRule(AlertRule):
    """Per device and metric: warning outside target, critical outside outer limits, after ``hold_ms``."""

    name = "threshold"
    produces = (Rule.TEMPERATURE, Rule.HUMIDITY)

    METRICS = (
        ("temperature_c", Rule.TEMPERATURE, "target_t_c", "outer_t_c"),
        ("humidity_pct", Rule.HUMIDITY, "target_rh_pct", "outer_rh_pct"),
    )

    def __init__(self, hold_ms: int, deadband_t: float, deadband_rh: float) -> None:
        self.hold_ms = hold_ms
        self.deadbands = {Rule.TEMPERATURE: deadband_t, Rule.HUMIDITY: deadband_rh}
        self.tracks: dict[tuple[str, str], _Track] = {}

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.threshold_duration_s * 1000, settings.deadband_t_c, settings.deadband_rh_pct)

    def restore(self, state: dict[str, object], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        """An open alert resumes at its level (critical 2, warning 1), so it resolves rather than refires."""
        for a in open_alerts:
            self.tracks[(a.rule, a.device_id)] = _Track(2 if a.severity == Severity.CRITICAL else 1, 0)

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        out: list[Signal] = []
        if room is None or ctx.is_stale(r.ts_ms):
            return out
        limits = room.limits
        for fname, rule, tname, oname in self.METRICS:
            v = r.fields.get(fname)
            if v is None:
                continue
            track = self.tracks.setdefault((rule, r.device_id), _Track())
            if r.ts_ms < track.last_ts:  # out of order (a replayed buffer): the newer state stands
                continue
            track.last_ts = r.ts_ms
            target: tuple[float, float] = getattr(limits, tname)
            outer: tuple[float, float] = getattr(limits, oname)
            prev = track.level
            track.level = hysteresis_level(prev, v, target, outer, self.deadbands[rule])
            if track.level == 0 and prev == 0:
                continue
            if track.level == 0:
                out.append(Signal(rule, r.site, r.room, r.room_id, r.device_id, False, r.ts_ms, value=v))
                continue
            crossed = outer if track.level == 2 else target
            limit = crossed[1] if v > crossed[1] else crossed[0] if v < crossed[0] else None
            if limit is None:  # held by hysteresis: report the side we are on
                limit = crossed[1] if v >= (crossed[0] + crossed[1]) / 2 else crossed[0]
            out.append(
                Signal(
                    rule,
                    r.site,
                    r.room,
                    r.room_id,
                    r.device_id,
                    True,
                    r.ts_ms,
                    severity="critical" if track.level == 2 else "warning",
                    value=v,
                    limit=limit,
                    hold_ms=self.hold_ms,
                    details={"target": list(target), "outer": list(outer)},
                )
            )
        return out
