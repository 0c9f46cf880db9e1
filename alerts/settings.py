"""Settings section owned by the alerts package."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, Field, SecretStr, field_validator

from inventory.timezone import check_timezone


class SmtpSettings(BaseModel):
    """Outgoing mail server for the email channel."""

    host: str = Field(default="127.0.0.1", description="Outgoing mail server for the email channel.")
    port: int = Field(default=25, description="SMTP port (25; 587 with starttls; 465 with use_ssl).")
    username: str = Field(default="", description="SMTP login; empty sends without authentication.")
    password: SecretStr = Field(default=SecretStr(""), description="Password of the SMTP login.")
    sender: str = Field(default="kho@localhost", description="From address of alert mail.")
    starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    use_ssl: bool = Field(default=False, description="Connect with TLS from the start (SMTPS).")
    timeout_s: float = Field(default=10.0, description="Timeout of one SMTP conversation, seconds.")


class TelegramSettings(BaseModel):
    """Telegram Bot API (``<base_url>/bot<token>/sendMessage``)."""

    base_url: str = Field(
        default="https://api.telegram.org",
        description=(
            "Telegram Bot API base (<base_url>/bot<token>/sendMessage); change it only for a local Bot API server."
        ),
    )
    bot_token: SecretStr = Field(
        default=SecretStr(""), description="Token of the Telegram bot that sends the messages (from @BotFather)."
    )


class SmsSettings(BaseModel):
    """An HTTP SMS gateway: ``url_template`` gets ``{to}`` and ``{text}`` (URL-encoded)."""

    url_template: str = Field(
        default="",
        description="An HTTP SMS gateway: url_template gets {to} and {text} (URL-encoded); empty disables SMS.",
    )
    method: str = Field(default="GET", description="HTTP method of the SMS gateway request: GET or POST.")
    allow_private: bool = Field(
        default=False,
        description="Allow a gateway on loopback, link-local or private addresses (refused by default).",
    )


class WebhookSettings(BaseModel):
    """Generic JSON webhook; with a secret each body is signed (``X-Kho-Signature: sha256=<hex>``)."""

    secret: SecretStr = Field(
        default=SecretStr(""), description="With a secret each webhook body is signed (X-Kho-Signature: sha256=<hex>)."
    )
    timeout_s: float = Field(default=5.0, description="Timeout of one webhook request, seconds.")
    allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback, link-local or private addresses (refused by default).",
    )


class AlertSettings(BaseModel):
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
        return check_timezone(v)

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, v: str) -> str:
        if v not in ("vi", "en"):
            raise ValueError("default_language must be vi or en")
        return v
