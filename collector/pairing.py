"""Dew point for profiles that send temperature and humidity in separate messages (ESPHome, Shelly status)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector.dewpoint import dew_point_c

# A temperature and a humidity of one device this close in time make a pair.
PAIR_WINDOW_MS = 120_000


@dataclass(slots=True)
class _Last:
    """The latest temperature and humidity of one device, with their times."""

    temperature_c: float = math.nan
    temperature_ms: int = 0
    humidity_pct: float = math.nan
    humidity_ms: int = 0


class Pairing:
    """Adds ``dew_point_c`` to readings: from their own T and RH, or from the other value seen recently."""

    def __init__(self, window_ms: int = PAIR_WINDOW_MS) -> None:
        self.window_ms = window_ms
        self._last: dict[str, _Last] = {}

    def with_dew_point(self, device_id: str, fields: dict[str, float], ts: int) -> dict[str, float]:
        """``fields`` with ``dew_point_c`` added when a temperature and a humidity are known for ``ts``."""
        t = fields.get("temperature_c")
        rh = fields.get("humidity_pct")
        if t is None or rh is None:
            if t is None and rh is None:
                return fields
            last = self._last.get(device_id)
            if last is None:
                last = self._last[device_id] = _Last()
            if t is not None:
                last.temperature_c, last.temperature_ms = t, ts
                if abs(ts - last.humidity_ms) <= self.window_ms:
                    rh = last.humidity_pct
            elif rh is not None:
                last.humidity_pct, last.humidity_ms = rh, ts
                if abs(ts - last.temperature_ms) <= self.window_ms:
                    t = last.temperature_c
            if t is None or rh is None or math.isnan(t) or math.isnan(rh):
                return fields
        dp = dew_point_c(t, rh)
        if dp is not None:
            fields["dew_point_c"] = dp
        return fields
