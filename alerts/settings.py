"""Settings section owned by the alerts package."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator


class SmtpSettings(BaseModel):
    """Outgoing mail server for the email channel."""

    host: str = "127.0.0.1"
    port: int = 25
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = "kho@localhost"
    starttls: bool = False
    use_ssl: bool = False
    timeout_s: float = 10.0


class TelegramSettings(BaseModel):
    """Telegram Bot API (``<base_url>/bot<token>/sendMessage``)."""

    base_url: str = "https://api.telegram.org"
    bot_token: SecretStr = SecretStr("")


class SmsSettings(BaseModel):
    """An HTTP SMS gateway: ``url_template`` gets ``{to}`` and ``{text}`` (URL-encoded)."""

    url_template: str = ""
    method: str = "GET"
    allow_private: bool = Field(
        default=False,
        description="Allow a gateway on loopback, link-local or private addresses (refused by default).",
    )


class WebhookSettings(BaseModel):
    """Generic JSON webhook; with a secret each body is signed (``X-Kho-Signature: sha256=<hex>``)."""

    secret: SecretStr = SecretStr("")
    timeout_s: float = 5.0
    allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback, link-local or private addresses (refused by default).",
    )


class AlertSettings(BaseModel):
    """Alert engine and notification routing."""

    enabled: bool = True
    default_language: str = "vi"
    # Rules
    threshold_duration_s: int = 15 * 60
    deadband_t_c: float = 0.5
    deadband_rh_pct: float = 2.0
    smoke_level_deadband: float = 0.05
    offline_factor: float = 3.0
    battery_low_v: float = 3.3
    battery_deadband_v: float = 0.1
    mould_warning: float = 0.5
    mould_critical: float = 1.0
    # Readings older than this (a node replaying a buffer) update statistics but raise no threshold alert.
    stale_after_s: int = 15 * 60
    system_silence_s: int = 300
    system_duration_s: int = 120
    spool_warning_ratio: float = 0.5
    # Routing
    repeat_critical_s: int = 5 * 60
    repeat_warning_s: int = 4 * 3600
    escalation_s: int = 30 * 60
    group_window_s: float = 10.0
    quiet_hours: str = Field(default="", description="warnings wait outside e.g. '22:00-06:00' (site local time)")
    timezone: str = "Asia/Ho_Chi_Minh"
    tick_s: float = 1.0
    checkpoint_s: float = 60.0
    # Delivery
    max_attempts: int = 10
    retry_base_s: float = 2.0
    retry_max_s: float = 300.0
    delivery_workers: int = 4
    ack_link_ttl_s: int = 7 * 86400
    # Empty: the web settings' public_base_url
    public_base_url: str = ""
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)

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
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Ho_Chi_Minh)") from None
        return v

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, v: str) -> str:
        if v not in ("vi", "en"):
            raise ValueError("default_language must be vi or en")
        return v
