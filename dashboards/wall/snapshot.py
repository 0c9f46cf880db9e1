"""What a wall shows: per room of a site the latest temperature, RH and smoke, their level against the room's
limits, open alerts and the time of the last reading. The last good climate values are kept in memory, so when
InfluxDB (or the collector) is down the wall keeps showing them, marked stale."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.models import OPEN_STATES, Alert
from collector.history import ClimateHistory
from inventory.climate_view import level, room_limits, smoke_level
from inventory.errors import NotFound
from inventory.models import Room, Site

log = logging.getLogger(__name__)
LEVEL_ORDER = ("none", "ok", "warn", "bad")
CACHE_S = 0.4  # several walls polling the same site share one InfluxDB round trip


def _worst(*levels: str) -> str:
    return max(levels, key=LEVEL_ORDER.index)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class WallSnapshots:
    """``snapshot(site_code)`` → the wall's JSON document (see ``docs/wall.md``)."""

    def __init__(self, sessions: sessionmaker[Session], history: ClimateHistory, stale_after_s: int) -> None:
        self.sessions = sessions
        self.history = history
        self.stale_after_s = stale_after_s
        self._last_good: dict[str, list[dict[str, Any]]] = {}
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def site_codes(self) -> list[str]:
        with self.sessions() as s:
            return list(s.scalars(select(Site.code).order_by(Site.code)))

    def snapshot(self, site_code: str) -> dict[str, Any]:
        with self._lock:
            hit = self._cache.get(site_code)
            if hit is not None and time.monotonic() - hit[0] < CACHE_S:
                return hit[1]
        doc = self._build(site_code)
        with self._lock:
            self._cache[site_code] = (time.monotonic(), doc)
        return doc

    def _build(self, site_code: str) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        with self.sessions() as s:
            site = s.scalar(select(Site).where(Site.code == site_code))
            if site is None:
                raise NotFound(f"no site {site_code!r}")
            rooms = list(s.scalars(select(Room).where(Room.site_id == site.id).order_by(Room.code)))
            limits = {r.id: room_limits(r) for r in rooms}
            counts: dict[tuple[int, str], int] = {}
            smoke_alert: set[int] = set()
            for room_id, severity, rule, n in s.execute(
                select(Alert.room_id, Alert.severity, Alert.rule, func.count(Alert.id))
                .where(Alert.room_id.in_([r.id for r in rooms]), Alert.state.in_([x.value for x in OPEN_STATES]))
                .group_by(Alert.room_id, Alert.severity, Alert.rule)
            ):
                if room_id is None:
                    continue
                counts[(room_id, severity)] = counts.get((room_id, severity), 0) + n
                if rule == "smoke":
                    smoke_alert.add(room_id)
            site_name = site.name
            room_rows = [(r.id, r.code, r.name, r.climate_class) for r in rooms]
        influx_ok = True
        try:
            rows = self.history.site_latest(site_code, max_age_s=7 * 86400)
            with self._lock:
                self._last_good[site_code] = rows
        except Exception:
            log.warning("wall: InfluxDB query failed; showing the last values", exc_info=True)
            influx_ok = False
            with self._lock:
                rows = self._last_good.get(site_code, [])
        by_room: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_room.setdefault(str(row.get("room")), []).append(row)
        tiles = []
        for rid, code, name, cclass in room_rows:
            lim = limits[rid]
            devs = by_room.get(code, [])
            fresh = [d for d in devs if d.get("ts_ms") and now_ms - d["ts_ms"] <= self.stale_after_s * 1000]
            use = fresh or devs
            t = _mean([d["temperature_c"] for d in use if d.get("temperature_c") is not None])
            rh = _mean([d["humidity_pct"] for d in use if d.get("humidity_pct") is not None])
            dp = _mean([d["dew_point_c"] for d in use if d.get("dew_point_c") is not None])
            ts = max((d["ts_ms"] for d in devs if d.get("ts_ms")), default=None)
            smoke_lv = _worst("none", *(smoke_level(d, lim) for d in fresh))
            smoke = rid in smoke_alert or smoke_lv == "bad"
            t_lv = level(t, lim.target_t_c, lim.outer_t_c)
            rh_lv = level(rh, lim.target_rh_pct, lim.outer_rh_pct)
            crit, warn = counts.get((rid, "critical"), 0), counts.get((rid, "warning"), 0)
            stale = ts is None or now_ms - ts > self.stale_after_s * 1000 or not influx_ok
            lv = _worst(t_lv, rh_lv, smoke_lv, "bad" if crit else "warn" if warn else "none")
            tiles.append(
                {
                    "id": rid,
                    "code": code,
                    "name": name,
                    "climate_class": cclass,
                    "temperature_c": None if t is None else round(t, 1),
                    "humidity_pct": None if rh is None else round(rh, 1),
                    "dew_point_c": None if dp is None else round(dp, 1),
                    "smoke": smoke,
                    "ts_ms": ts,
                    "stale": stale,
                    "level": "smoke" if smoke else lv,
                    "t_level": t_lv,
                    "rh_level": rh_lv,
                    "target_t_c": list(lim.target_t_c),
                    "target_rh_pct": list(lim.target_rh_pct),
                    "alerts": crit + warn,
                    "alerts_critical": crit,
                    "sensors": len(devs),
                }
            )
        return {
            "site": site_code,
            "site_name": site_name,
            "now_ms": now_ms,
            "influx_ok": influx_ok,
            "stale_after_s": self.stale_after_s,
            "rooms": tiles,
        }
