"""Settings section owned by the alerts package."""

from __future__ import annotations

from pydantic import BaseModel


class AlertSettings(BaseModel):
    """Alert engine and notification routing."""

    enabled: bool = True
    default_language: str = "vi"
