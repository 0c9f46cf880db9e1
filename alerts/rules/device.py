"""Device health: offline (status/last will, or silent for 3 × its interval) and battery low."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alerts.rules.base import AlertRule, Context, OpenAlert, Rule, Signal
from collector.reading import Reading, StatusEvent
from inventory.directory import DeviceDirectory, RoomEntry

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings


@dataclass(slots=True)
class _Seen:
    site: str
    room: str
    room_id: int
    last_ms: int
    offline: bool = False


class OfflineRule(AlertRule):
    """A smoke detector offline is critical: the room is unwatched.

    Every reading counts as a sign of life, a replayed one or one of a room the registry lost included.
    """

    name = "offline"
    produces = (Rule.OFFLINE,)

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.seen: dict[str, _Seen] = {}

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.offline_factor)

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        for a in open_alerts:
            if a.room_id is not None:
                self.seen[a.device_id] = _Seen(a.site, a.room, a.room_id, ctx.now_ms, offline=True)

    def _signal(
        self, dev: str, s: _Seen, active: bool, ts: int, directory: DeviceDirectory, why: str, notify: bool = True
    ) -> Signal:
        entry = directory.devices.get(dev)
        smoke = bool(entry and entry.has_smoke)
        return Signal(
            Rule.OFFLINE,
            s.site,
            s.room,
            s.room_id,
            dev,
            active,
            ts,
            severity="critical" if smoke and active else "warning",
            details={"reason": why, "smoke_detector": smoke},
            notify=notify,
        )

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        now_ms, directory = ctx.now_ms, ctx.directory
        s = self.seen.get(r.device_id)
        if s is None:
            self.seen[r.device_id] = _Seen(r.site, r.room, r.room_id, now_ms)
            return []
        s.last_ms = now_ms
        s.site, s.room, s.room_id = r.site, r.room, r.room_id
        if s.offline:
            s.offline = False
            return [self._signal(r.device_id, s, False, r.ts_ms, directory, "reading")]
        return []

    def on_status(self, e: StatusEvent, ctx: Context) -> list[Signal]:
        now_ms, directory = ctx.now_ms, ctx.directory
        s = self.seen.setdefault(e.device_id, _Seen(e.site, e.room, e.room_id, now_ms))
        s.site, s.room, s.room_id = e.site, e.room, e.room_id
        if e.retained:
            # A replay at subscribe time tells the past: silence-based detection covers a node that is
            # really gone; an online replay may resolve quietly.
            if e.online and s.offline:
                s.offline = False
                s.last_ms = now_ms
                return [self._signal(e.device_id, s, False, e.ts_ms, directory, "status", notify=False)]
            return []
        if e.online:
            s.last_ms = now_ms
            if s.offline:
                s.offline = False
                return [self._signal(e.device_id, s, False, e.ts_ms, directory, "status")]
            return []
        if s.offline:
            return []
        s.offline = True
        return [self._signal(e.device_id, s, True, e.ts_ms, directory, "last_will")]

    def on_tick(self, ctx: Context) -> list[Signal]:
        now_ms, directory, start_ms = ctx.now_ms, ctx.directory, ctx.start_ms
        out = []
        for dev_id, entry in directory.devices.items():
            s = self.seen.get(dev_id)
            if s is None:
                p = entry.placement_at(now_ms)
                if p is None:
                    continue
                # Never heard of since start: count from start so a restart does not raise a flood.
                s = self.seen[dev_id] = _Seen(p.site, p.room, p.room_id, start_ms)
            if s.offline:
                continue
            if now_ms - s.last_ms > self.factor * entry.interval_s * 1000:
                s.offline = True
                out.append(self._signal(dev_id, s, True, now_ms, directory, "silent"))
        return out


class BatteryRule(AlertRule):
    """``battery_v`` below the low mark → warning; clears ``deadband`` above it (replayed readings aside)."""

    name = "battery"
    produces = (Rule.BATTERY,)

    def __init__(self, low_v: float, deadband_v: float) -> None:
        self.low_v = low_v
        self.deadband_v = deadband_v
        self.low: set[str] = set()

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.battery_low_v, settings.battery_deadband_v)

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        self.low.update(a.device_id for a in open_alerts)

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        v = r.fields.get("battery_v")
        if v is None or room is None or ctx.is_stale(r.ts_ms):
            return []
        if r.device_id in self.low:
            if v >= self.low_v + self.deadband_v:
                self.low.discard(r.device_id)
                return [Signal(Rule.BATTERY, r.site, r.room, r.room_id, r.device_id, False, r.ts_ms, value=v)]
        elif v < self.low_v:
            self.low.add(r.device_id)
            return [
                Signal(Rule.BATTERY, r.site, r.room, r.room_id, r.device_id, True, r.ts_ms, value=v, limit=self.low_v)
            ]
        return []
