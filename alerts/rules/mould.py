"""Mould risk: IPI days-to-germination accumulated over time (docs/design.md) → warning 0.5, critical 1.0."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from alerts.preservation import mould_step
from alerts.rules.base import AlertRule, Context, OpenAlert, Rule, Signal
from collector.reading import Reading
from inventory.directory import RoomEntry

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings


class MouldRule(AlertRule):
    """Per device: ``acc += dt / days_to_germination``; 24 h of unfavourable conditions reset it.

    A replayed (stale) reading counts towards the risk but raises nothing.
    """

    name = "mould"
    produces = (Rule.MOULD,)

    def __init__(self, warning: float, critical: float, max_gap_ms: int = 3_600_000) -> None:
        self.warning = warning
        self.critical = critical
        # A gap in the data counts at most this long (we do not know what happened meanwhile).
        self.max_gap_ms = max_gap_ms
        self.devices: dict[str, dict[str, Any]] = {}  # device -> {acc, last_ts, unfav, level}

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.mould_warning, settings.mould_critical)

    def state(self) -> dict[str, Any]:
        return dict(self.devices)

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        # The level is part of the checkpointed memory: an open alert needs nothing more.
        self.devices.update(state)

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        if room is None:
            return []
        out = self._update(r)
        return [] if ctx.is_stale(r.ts_ms) else out

    def _update(self, r: Reading) -> list[Signal]:
        t = r.fields.get("temperature_c")
        rh = r.fields.get("humidity_pct")
        if t is None or rh is None:
            return []
        st = self.devices.setdefault(r.device_id, {"acc": 0.0, "last_ts": None, "unfav": None, "level": 0})
        last = st["last_ts"]
        if last is not None and r.ts_ms <= last:
            return []
        st["last_ts"] = r.ts_ms
        if last is None:
            return []
        dt = min(r.ts_ms - last, self.max_gap_ms)
        st["acc"], st["unfav"] = mould_step(st["acc"], st["unfav"], r.ts_ms, dt, t, rh)
        acc = st["acc"]
        level = 2 if acc >= self.critical else 1 if acc >= self.warning else 0
        prev = st["level"]
        if level == prev or (level < prev and level > 0):
            return []
        st["level"] = level
        if level == 0:
            return [Signal(Rule.MOULD, r.site, r.room, r.room_id, r.device_id, False, r.ts_ms, value=acc)]
        return [
            Signal(
                Rule.MOULD,
                r.site,
                r.room,
                r.room_id,
                r.device_id,
                True,
                r.ts_ms,
                severity="critical" if level == 2 else "warning",
                value=round(acc, 3),
                limit=self.critical if level == 2 else self.warning,
                details={"temperature_c": t, "humidity_pct": rh},
            )
        ]
