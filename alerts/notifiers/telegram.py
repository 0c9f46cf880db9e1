"""Telegram Bot API ``sendMessage`` (the base URL is configurable, e.g. a local bot API server or a test)."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, Field, SecretStr

from alerts.notifiers.base import Message, Notifier, NotifyError


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


class TelegramNotifier(Notifier[TelegramSettings]):
    channel = "telegram"
    section = "telegram"
    address_help = "a Telegram chat id"
    settings_model = TelegramSettings

    def __init__(self, settings: TelegramSettings) -> None:
        self.s = settings
        self.client = httpx.Client(timeout=10.0)

    def send(self, address: str, message: Message) -> None:
        token = self.s.bot_token.get_secret_value()
        if not token:
            raise NotifyError("telegram bot token is not configured (KHO_ALERTS__TELEGRAM__BOT_TOKEN)", True)
        url = f"{self.s.base_url.rstrip('/')}/bot{token}/sendMessage"
        try:
            resp = self.client.post(
                url,
                json={
                    "chat_id": address,
                    "text": f"{message.subject}\n\n{message.text}",
                    "disable_web_page_preview": True,
                },
            )
        except httpx.HTTPError as e:
            raise NotifyError(f"telegram: {type(e).__name__}") from None  # the URL holds the token: not shown
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if resp.status_code != 200 or not data.get("ok"):
            desc = data.get("description", "") if isinstance(data, dict) else ""
            permanent = resp.status_code in (400, 401, 403, 404)
            raise NotifyError(f"telegram: HTTP {resp.status_code} {desc}".strip(), permanent=permanent)
