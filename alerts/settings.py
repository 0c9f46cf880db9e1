"""Settings section owned by the alerts package: the engine's own fields and one section per notifier.

Each channel declares its settings model in its own module (``alerts.notifiers.<channel>``, ``settings_model``);
``AlertSettings`` adds a section for every notifier of ``alerts.notifiers.NOTIFIERS``, so a new channel brings its
settings with it (``KHO_ALERTS__<SECTION>__…``).
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, create_model, field_validator

from inventory.timezone import check_timezone


class GeneralAlertSettings(BaseModel):
    """Alert engine and notification routing."""

    enabled: bool = Field(
        default=True, description="Run the alert engine inside kho collect (off: readings are stored, nobody is told)."
    )
    default_language: str = Field(
        default="vi", description="Language of messages to contacts without their own: vi or en."
    )
    # Rules
    threshold_duration_s: int = Field(
        default=15 * 60,
        description="T or RH must stay outside the room's limits this long before a threshold alert fires, seconds.",
    )
    deadband_t_c: float = Field(
        default=0.5,
        description=(
            "A threshold alert clears this far back inside the temperature limit, °C (no flapping on the line)."
        ),
    )
    deadband_rh_pct: float = Field(
        default=2.0, description="A threshold alert clears this far back inside the RH limit, % RH."
    )
    smoke_level_deadband: float = Field(
        default=0.05, description="A smoke_level alert clears this far below the room's alert level."
    )
    offline_factor: float = Field(
        default=3.0, description="A node is offline after this many of its reporting intervals without a reading."
    )
    battery_low_v: float = Field(
        default=3.3, description="Battery voltage below which a node raises a battery warning, V."
    )
    battery_deadband_v: float = Field(
        default=0.1, description="The battery warning clears this far above battery_low_v, V."
    )
    mould_warning: float = Field(
        default=0.5, description="Mould germination risk (IPI, accumulated fraction) that raises a warning."
    )
    mould_critical: float = Field(
        default=1.0, description="Mould germination risk that raises a critical alert (1.0: germination likely)."
    )
    stale_after_s: int = Field(
        default=15 * 60,
        description=(
            "Readings older than this (a node replaying a buffer) update statistics but raise no threshold alert."
        ),
    )
    system_silence_s: int = Field(
        default=300,
        description=(
            "No message from the broker for this long while nodes are registered raises the system alert, seconds."
        ),
    )
    system_duration_s: int = Field(
        default=120,
        description=(
            "A system condition (broker, InfluxDB, spool) must last this long before it fires, seconds; also the "
            "grace period after start."
        ),
    )
    spool_warning_ratio: float = Field(
        default=0.5, description="Spool fill (fraction of collector.spool_max_mb) above which a system warning fires."
    )
    # Routing
    repeat_critical_s: int = Field(
        default=5 * 60, description="A critical alert is sent again this often until acknowledged, seconds."
    )
    repeat_warning_s: int = Field(
        default=4 * 3600, description="A warning is sent again this often until acknowledged, seconds."
    )
    escalation_s: int = Field(
        default=30 * 60, description="Nobody acknowledged for this long: the next contact tier is told, seconds."
    )
    group_window_s: float = Field(
        default=10.0,
        description=(
            "Warnings of one site firing within this window go out as one message, seconds (smoke is never grouped)."
        ),
    )
    quiet_hours: str = Field(
        default="",
        description="Warnings wait during e.g. '22:00-06:00', in the time of the alert's site; critical never waits.",
    )
    timezone: str = Field(
        default="Asia/Ho_Chi_Minh",
        description="Not used: times follow each site's own time zone (kept so older settings files still load).",
    )
    tick_s: float = Field(
        default=1.0,
        description="How often the engine evaluates time-based rules (offline, durations, repeats), seconds.",
    )
    checkpoint_s: float = Field(
        default=60.0, description="How often rule memory (mould accumulators, 24 h swing) is saved to SQL, seconds."
    )
    # Delivery
    max_attempts: int = Field(default=10, description="Attempts per delivery before it is recorded as failed.")
    retry_base_s: float = Field(
        default=2.0, description="First retry delay of a failed delivery, seconds; doubles each attempt."
    )
    retry_max_s: float = Field(default=300.0, description="Longest retry delay, seconds.")
    delivery_workers: int = Field(default=4, description="Deliveries sent in parallel (threads).")
    ack_link_ttl_s: int = Field(
        default=7 * 86400, description="The acknowledge link in a message works this long, seconds."
    )
    public_base_url: str = Field(
        default="", description="Base URL of acknowledge links in messages; empty: the web settings' public_base_url."
    )

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, v: str) -> str:
        if v.strip():
            try:
                a, b = v.split("-")
                time.fromisoformat(a.strip())
                time.fromisoformat(b.strip())
            except ValueError:
                raise ValueError(f"quiet_hours {v!r} must look like 22:00-06:00") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, v: str) -> str:
        return check_timezone(v)

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, v: str) -> str:
        if v not in ("vi", "en"):
            raise ValueError("default_language must be vi or en")
        return v


def _with_channel_sections() -> type[GeneralAlertSettings]:
    """The alert settings with one section per registered notifier (its ``settings_of`` reads it, typed)."""
    from alerts.notifiers import NOTIFIERS  # the notifier modules import this one only for type checking

    fields: dict[str, Any] = {
        n.section: (n.settings_model, Field(default_factory=n.settings_model, description=n.settings_model.__doc__))
        for n in NOTIFIERS
    }
    return create_model(
        "AlertSettings",
        __base__=GeneralAlertSettings,
        __module__=__name__,
        __doc__=GeneralAlertSettings.__doc__,
        **fields,
    )


if TYPE_CHECKING:
    AlertSettings = GeneralAlertSettings
else:
    AlertSettings = _with_channel_sections()
