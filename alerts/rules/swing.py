"""24 h swing: the range of T or RH over the last 24 h above the room's allowed swing → warning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alerts.rules.base import AlertRule, Context, OpenAlert, Rule, Signal
from collector.reading import Reading
from inventory.directory import RoomEntry

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings

HOUR_MS = 3_600_000


class SwingRule(AlertRule):
    """Hourly min/max buckets per device and metric; the 24 h range is over the last 24 buckets.

    A replayed (stale) reading fills the buckets but raises nothing.
    """

    name = "swing"
    produces = (Rule.SWING_T, Rule.SWING_RH)

    METRICS = (("temperature_c", Rule.SWING_T, "swing_t_c"), ("humidity_pct", Rule.SWING_RH, "swing_rh_pct"))

    def __init__(self, deadband_t: float, deadband_rh: float) -> None:
        self.deadbands = {Rule.SWING_T: deadband_t, Rule.SWING_RH: deadband_rh}
        # (rule, device) -> {hour: [min, max]}
        self.buckets: dict[tuple[str, str], dict[int, list[float]]] = {}
        self.active: set[tuple[str, str]] = set()
        # (rule, device) -> (min, max) over the window, while no bucket has left it
        self._range: dict[tuple[str, str], tuple[float, float]] = {}

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.deadband_t_c, settings.deadband_rh_pct)

    def state(self) -> dict[str, Any]:
        return {f"{rule}|{dev}": {str(h): mm for h, mm in b.items()} for (rule, dev), b in self.buckets.items()}

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        for k, b in state.items():
            rule, dev = k.split("|", 1)
            self.buckets[(rule, dev)] = {int(h): list(mm) for h, mm in b.items()}
        for a in open_alerts:
            self.active.add((a.rule, a.device_id))

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        if room is None:
            return []
        out = self._update(r, room, ctx.now_ms)
        return [] if ctx.is_stale(r.ts_ms) else out

    def _update(self, r: Reading, room: RoomEntry, now_ms: int) -> list[Signal]:
        out: list[Signal] = []
        hour = r.ts_ms // HOUR_MS
        now_hour = max(now_ms // HOUR_MS, hour)
        if now_hour - hour >= 24:
            return out
        for fname, rule, lname in self.METRICS:
            v = r.fields.get(fname)
            if v is None:
                continue
            key = (rule, r.device_id)
            b = self.buckets.setdefault(key, {})
            mm = b.get(hour)
            cached = self._range.get(key)
            if mm is None:
                b[hour] = [v, v]
                for h in [h for h in b if now_hour - h >= 24]:
                    del b[h]
                cached = None  # buckets dropped out of the window
            elif mm[0] <= v <= mm[1]:
                continue  # inside this hour's range: nothing changes
            else:
                mm[0] = min(mm[0], v)
                mm[1] = max(mm[1], v)
            if cached is None:
                lo = min(m[0] for m in b.values())
                hi = max(m[1] for m in b.values())
            else:
                lo, hi = min(cached[0], v), max(cached[1], v)
            self._range[key] = (lo, hi)
            rng = hi - lo
            limit: float = getattr(room.limits, lname)
            if key in self.active:
                if rng <= limit - self.deadbands[rule]:
                    self.active.discard(key)
                    out.append(Signal(rule, r.site, r.room, r.room_id, r.device_id, False, r.ts_ms, value=rng))
            elif rng > limit:
                self.active.add(key)
                out.append(
                    Signal(
                        rule,
                        r.site,
                        r.room,
                        r.room_id,
                        r.device_id,
                        True,
                        r.ts_ms,
                        value=round(rng, 2),
                        limit=limit,
                        details={"min": lo, "max": hi},
                    )
                )
        return out
