"""Dew point from temperature and relative humidity (Magnus formula, Alduchov & Eskridge constants)."""

from __future__ import annotations

import math

# Magnus coefficients over water, valid about −45…60 °C with < 0.4 °C error.
_A = 17.625
_B = 243.04


def dew_point_c(temperature_c: float, humidity_pct: float) -> float | None:
    """Dew point in °C, rounded to 0.01; None when RH is 0 (no finite dew point)."""
    if humidity_pct <= 0.0:
        return None
    gamma = math.log(humidity_pct / 100.0) + _A * temperature_c / (_B + temperature_c)
    return round(_B * gamma / (_A - gamma), 2)
