"""Device health: offline (status/last will, or silent for 3 × its interval) and battery low."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.rules.base import Rule, Signal
from collector.reading import Reading, StatusEvent
from inventory.directory import DeviceDirectory


@dataclass(slots=True)
class _Seen:
    site: str
    room: str
    room_id: int
    last_ms: int
    offline: bool = False


class OfflineRule:
    """A smoke detector offline is critical: the room is unwatched."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.seen: dict[str, _Seen] = {}

    def restore(self, device_id: str, site: str, room: str, room_id: int, now_ms: int) -> None:
        self.seen[device_id] = _Seen(site, room, room_id, now_ms, offline=True)

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

    def on_reading(self, r: Reading, now_ms: int, directory: DeviceDirectory) -> list[Signal]:
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

    def on_status(self, e: StatusEvent, now_ms: int, directory: DeviceDirectory) -> list[Signal]:
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

    def on_tick(self, now_ms: int, directory: DeviceDirectory, start_ms: int) -> list[Signal]:
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


class BatteryRule:
    """``battery_v`` below the low mark → warning; clears ``deadband`` above it."""

    def __init__(self, low_v: float, deadband_v: float) -> None:
        self.low_v = low_v
        self.deadband_v = deadband_v
        self.low: set[str] = set()

    def restore(self, device_id: str) -> None:
        self.low.add(device_id)

    def on_reading(self, r: Reading) -> list[Signal]:
        v = r.fields.get("battery_v")
        if v is None:
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
