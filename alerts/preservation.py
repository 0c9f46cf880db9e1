"""Preservation metrics of the Image Permanence Institute (formulas in docs/design.md): PI, TWPI, EMC, mould risk."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources


def preservation_index(temp_c: float, rh_pct: float) -> float:
    """Years to noticeable chemical decay of paper-like material (Padfield's fit to IPI's table)."""
    t_k = temp_c + 273.15
    return math.exp((95220 - 134.9 * rh_pct) / (8.314 * t_k) + 0.0284 * rh_pct - 28.023) / 365


def pi_rating(pi_years: float) -> str:
    """IPI's rating of a PI: ``risk`` (< 45 y), ``ok`` (45–75 y) or ``good`` (≥ 75 y)."""
    if pi_years < 45:
        return "risk"
    return "ok" if pi_years < 75 else "good"


def twpi(points: Iterable[tuple[float, float]]) -> float:
    """Time-weighted PI of equally spaced (temp_c, rh_pct) readings: the harmonic mean of their PIs."""
    inv = [1.0 / preservation_index(t, rh) for t, rh in points]
    if not inv:
        raise ValueError("TWPI needs at least one reading")
    return len(inv) / sum(inv)


def emc_pct(temp_c: float, rh_pct: float) -> float:
    """Equilibrium moisture content (%) by the Hailwood–Horrobin wood model (US Forest Products Lab)."""
    t = temp_c * 9 / 5 + 32
    h = rh_pct / 100
    w = 330 + 0.452 * t + 0.00415 * t * t
    k = 0.791 + 4.63e-4 * t - 8.44e-7 * t * t
    k1 = 6.34 + 7.75e-4 * t - 9.35e-5 * t * t
    k2 = 1.09 + 2.84e-2 * t - 9.04e-5 * t * t
    kh = k * h
    return 1800 / w * (kh / (1 - kh) + (k1 * kh + 2 * k1 * k2 * kh * kh) / (1 + k1 * kh + k1 * k2 * kh * kh))


def emc_risks(emc: float) -> list[str]:
    """Named risks of an EMC: ``mechanical`` outside 5–12.5 %, ``corrosion`` above 10.5 %."""
    risks = []
    if emc < 5 or emc > 12.5:
        risks.append("mechanical")
    if emc > 10.5:
        risks.append("corrosion")
    return risks


@lru_cache(maxsize=1)
def _mould_table() -> tuple[dict[int, dict[int, int]], int, int, int, int]:
    rows: dict[int, dict[int, int]] = {}
    text = resources.files("alerts").joinpath("data/ipi_mould_days.csv").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    reader = csv.reader(lines)
    header = next(reader)
    rhs = [int(c) for c in header[1:]]
    for row in reader:
        rows[int(row[0])] = {rh: int(v) for rh, v in zip(rhs, row[1:], strict=True)}
    return rows, min(rows), max(rows), min(rhs), max(rhs)


def mould_days(temp_c: float, rh_pct: float) -> int:
    """IPI days to mould germination at (temp_c, rh_pct); 0 means no risk (T < 2, T > 45 or RH < 65)."""
    rows, t_min, t_max, rh_min, rh_max = _mould_table()
    t = round(temp_c)
    rh = min(round(rh_pct), rh_max)
    if t < t_min or t > t_max or rh < rh_min:
        return 0
    return rows[t][rh]


# Unfavourable conditions for this long undo the germination progress (IPI's rule).
MOULD_RESET_MS = 24 * 3600 * 1000


def mould_step(
    acc: float, unfavourable_since_ms: int | None, ts_ms: int, dt_ms: int, temp_c: float, rh_pct: float
) -> tuple[float, int | None]:
    """Advance a mould accumulator by one interval of ``dt_ms`` at (temp_c, rh_pct).

    Returns the new accumulator (≥ 1 means germination likely) and when unfavourable conditions began.
    """
    days = mould_days(temp_c, rh_pct)
    if days > 0:
        return acc + dt_ms / 86_400_000 / days, None
    since = ts_ms if unfavourable_since_ms is None else unfavourable_since_ms
    if ts_ms - since >= MOULD_RESET_MS:
        return 0.0, since
    return acc, since
