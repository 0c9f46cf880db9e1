"""Climate history of a room read back from InfluxDB: the latest values per sensor and time series for charts.

Windows up to the raw retention read measurement ``climate`` (RP ``raw``) averaged into buckets; longer windows,
or windows reaching past the raw retention, read the hourly means (``climate_1h`` in RP ``forever``).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from collector.influx import InfluxClient
from collector.influx_schema import CLIMATE, FOREVER_RP, HOURLY, hourly_field, ident, literal
from collector.settings import InfluxSettings

# Fields drawn on the charts and shown per sensor.
CHART_FIELDS = ("temperature_c", "humidity_pct", "dew_point_c")
SENSOR_FIELDS = (*CHART_FIELDS, "smoke", "smoke_level", "battery_v")
# Aim for about this many points per series: enough for a phone-wide chart, small enough for a light page.
TARGET_POINTS = 240
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration_s(text: str) -> float | None:
    """An InfluxQL retention duration (``730d``, ``168h``, ``INF``) in seconds; None for infinite."""
    text = text.strip().lower()
    if text in ("inf", "0", "0s", ""):
        return None
    m = _DURATION.match(text)
    if m is None:
        return None
    return int(m.group(1)) * _UNIT_S[m.group(2)]


def bucket_s(span_s: float, hourly: bool) -> int:
    """Bucket width for a window of ``span_s``: a round number of minutes (hours for hourly data)."""
    raw = max(span_s / TARGET_POINTS, 60.0)
    for step in (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        if step >= raw and (not hourly or step >= 3600):
            return step
    return 86400


class ClimateHistory:
    """``app.state.history_provider``: what the room and box pages draw (see ``inventory.climate_view``)."""

    def __init__(self, influx: InfluxSettings) -> None:
        self.influx = influx
        self.raw_retention_s = duration_s(influx.raw_retention)
        self._client: InfluxClient | None = None
        self._lock = threading.Lock()

    def _query(self, q: str) -> list[dict[str, Any]]:
        with self._lock:
            if self._client is None:
                self._client = InfluxClient(self.influx)
            client = self._client
        return client.query(q)

    def _raw_src(self) -> str:
        # Without a policy InfluxQL reads the default one, where the collector writes (normally "raw").
        rp = self.influx.retention_policy
        return f"{ident(rp)}.{ident(CLIMATE)}" if rp else ident(CLIMATE)

    def _latest(self, where: str, group_by: str) -> list[dict[str, Any]]:
        sel = ", ".join(f"last({ident(f)}) AS {ident(f)}" for f in SENSOR_FIELDS)
        values = self._query(f"SELECT {sel} FROM {self._raw_src()} WHERE {where} GROUP BY {group_by}")
        # A single selector returns the point's own time (several return the window start).
        stamps: dict[tuple[str, ...], int] = {}
        for field in ("temperature_c", "humidity_pct", "smoke"):
            for s in self._query(
                f"SELECT last({ident(field)}) FROM {self._raw_src()} WHERE {where} GROUP BY {group_by}"
            ):
                key = tuple(sorted(s["tags"].items()))
                stamps[key] = max(stamps.get(key, 0), int(s["values"][0][0]))
        out = []
        for s in values:
            row = dict(zip(s["columns"], s["values"][0], strict=True))
            row.pop("time", None)
            row.update(s["tags"])
            row["ts_ms"] = stamps.get(tuple(sorted(s["tags"].items())))
            out.append(row)
        return out

    def sensors(self, site: str, room: str, max_age_s: int = 7 * 86400) -> list[dict[str, Any]]:
        """The last value of each field per device of the room over ``max_age_s``, each with ``device``
        and ``ts_ms`` (the time of its last temperature, humidity or smoke reading)."""
        where = f"site = {literal(site)} AND room = {literal(room)} AND time > now() - {int(max_age_s)}s"
        return sorted(self._latest(where, "device"), key=lambda r: r["device"])

    def site_latest(self, site: str, max_age_s: int = 7 * 86400) -> list[dict[str, Any]]:
        """Like ``sensors`` for every device of a site, each row also with its ``room`` code."""
        where = f"site = {literal(site)} AND time > now() - {int(max_age_s)}s"
        return sorted(self._latest(where, "room, device"), key=lambda r: (r["room"], r["device"]))

    def uses_hourly(self, since_ms: int, now_ms: int, span_s: float) -> bool:
        """True when the window is read from the hourly means: longer than a week, or older than raw data."""
        if span_s > 8 * 86400:
            return True
        return self.raw_retention_s is not None and (now_ms - since_ms) / 1000 > self.raw_retention_s

    def series(self, site: str, room: str, since_ms: int, until_ms: int, now_ms: int | None = None) -> dict[str, Any]:
        """Room means of ``CHART_FIELDS`` in buckets over [since, until): ``{"bucket_s", "hourly",
        "series": {field: [(ms, value), …]}}`` (empty buckets left out)."""
        span = max((until_ms - since_ms) / 1000, 60.0)
        hourly = self.uses_hourly(since_ms, now_ms or until_ms, span)
        step = bucket_s(span, hourly)
        where = f"site = {literal(site)} AND room = {literal(room)} AND time >= {since_ms}ms AND time < {until_ms}ms"
        if hourly:
            src = f"{ident(FOREVER_RP)}.{ident(HOURLY)}"
            sel = ", ".join(f"mean({ident(hourly_field(f))}) AS {ident(f)}" for f in CHART_FIELDS)
        else:
            src = self._raw_src()
            sel = ", ".join(f"mean({ident(f)}) AS {ident(f)}" for f in CHART_FIELDS)
        rows = self._query(f"SELECT {sel} FROM {src} WHERE {where} GROUP BY time({step}s) fill(none)")
        out: dict[str, list[tuple[int, float]]] = {f: [] for f in CHART_FIELDS}
        for s in rows:
            cols = s["columns"]
            for vals in s["values"]:
                row = dict(zip(cols, vals, strict=True))
                for f in CHART_FIELDS:
                    v = row.get(f)
                    if v is not None:
                        out[f].append((int(row["time"]), float(v)))
        return {"bucket_s": step, "hourly": hourly, "series": out}

    def close(self) -> None:
        """Release the HTTP connection."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
