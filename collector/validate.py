"""Physical plausibility and timestamp checks of decoded samples."""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector.decoders.types import NOT_FINITE, OUT_OF_RANGE, Reject, Sample

# Inclusive physical ranges per field (sensor hardware limits, not climate targets).
RANGES: dict[str, tuple[float, float]] = {
    "temperature_c": (-40.0, 85.0),
    "humidity_pct": (0.0, 100.0),
    "smoke": (0.0, 1.0),
    "smoke_level": (0.0, 1_000_000.0),
    "battery_v": (0.0, 60.0),
}


@dataclass(frozen=True, slots=True)
class TimePolicy:
    """How far a device timestamp may be from the receive time before the receive time is used."""

    skew_ms: int
    # Batched arrays carry readings buffered while offline: they may be this old.
    backfill_ms: int


def check_values(sample: Sample) -> Reject | None:
    """Reject NaN/inf and physically impossible values (the whole sample: a broken sensor is not trusted)."""
    for k, v in sample.fields.items():
        if not math.isfinite(v):
            return Reject(NOT_FINITE, f"{k} is not finite", sample.device_id)
        lo, hi = RANGES.get(k, (-math.inf, math.inf))
        if v < lo or v > hi:
            return Reject(OUT_OF_RANGE, f"{k}={v:g} is outside {lo:g}…{hi:g}", sample.device_id)
    return None


def effective_ts(sample: Sample, received_ms: int, policy: TimePolicy) -> tuple[int, bool]:
    """``(ts_ms, skewed)``: the device time when plausible, else the receive time (and ``skewed=True``).

    Restamped elements of a batch get +index ms so they do not overwrite each other in InfluxDB.
    """
    ts = sample.ts_ms
    if ts is None:
        return received_ms + sample.index, False
    delta = ts - received_ms
    if delta > policy.skew_ms:
        return received_ms + sample.index, True
    limit = policy.backfill_ms if sample.batched else policy.skew_ms
    if -delta > limit:
        return received_ms + sample.index, True
    return ts, False
