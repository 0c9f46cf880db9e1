"""Climate classes of storage rooms and their default limits (sources in docs/design.md), overridable per room."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class ClimateClass(StrEnum):
    """What a room stores decides its climate targets."""

    PAPER = "paper"
    PHOTO = "photo"
    MAGNETIC = "magnetic"


class ClimateLimits(BaseModel):
    """Targets, outer limits and allowed 24 h swing for one room."""

    target_t_c: tuple[float, float]
    target_rh_pct: tuple[float, float]
    swing_t_c: float
    swing_rh_pct: float
    outer_t_c: tuple[float, float]
    outer_rh_pct: tuple[float, float]
    # smoke_level (0..1) at which a warning / a critical alert is raised
    smoke_level_alert: float = 0.15
    smoke_level_action: float = 0.30

    def merged(self, overrides: dict[str, Any] | None) -> ClimateLimits:
        """These limits with a room's overrides applied (unknown keys are rejected)."""
        if not overrides:
            return self
        unknown = set(overrides) - set(type(self).model_fields)
        if unknown:
            raise ValueError(f"unknown climate limit(s): {', '.join(sorted(unknown))}")
        return self.model_validate({**self.model_dump(), **overrides})


DEFAULT_LIMITS: dict[ClimateClass, ClimateLimits] = {
    ClimateClass.PAPER: ClimateLimits(
        target_t_c=(18, 22),
        target_rh_pct=(45, 55),
        swing_t_c=2,
        swing_rh_pct=5,
        outer_t_c=(10, 25),
        outer_rh_pct=(35, 65),
    ),
    ClimateClass.PHOTO: ClimateLimits(
        target_t_c=(8, 16),
        target_rh_pct=(30, 50),
        swing_t_c=2,
        swing_rh_pct=5,
        outer_t_c=(2, 20),
        outer_rh_pct=(25, 55),
    ),
    ClimateClass.MAGNETIC: ClimateLimits(
        target_t_c=(17, 20),
        target_rh_pct=(35, 45),
        swing_t_c=1,
        swing_rh_pct=5,
        outer_t_c=(8, 25),
        outer_rh_pct=(25, 60),
    ),
}


def limits_for(climate_class: str, overrides: dict[str, Any] | None = None) -> ClimateLimits:
    """The effective limits of a room of ``climate_class`` with its ``overrides``."""
    return DEFAULT_LIMITS[ClimateClass(climate_class)].merged(overrides)
