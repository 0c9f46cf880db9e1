"""SMS through an HTTP gateway: ``url_template`` with ``{to}`` and ``{text}`` (URL-encoded)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field

from alerts.notifiers.base import Message, Notifier, NotifyError
from alerts.urlcheck import UnsafeUrl, check_url

SMS_MAX = 480  # about three concatenated Unicode SMS


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


class SmsNotifier(Notifier[SmsSettings]):
    channel = "sms"
    section = "sms"
    address_help = "a phone number"
    settings_model = SmsSettings

    def __init__(self, settings: SmsSettings) -> None:
        self.s = settings
        self.client = httpx.Client(timeout=10.0)

    def send(self, address: str, message: Message) -> None:
        if not self.s.url_template:
            raise NotifyError("SMS gateway URL is not configured (KHO_ALERTS__SMS__URL_TEMPLATE)", True)
        text = f"{message.subject}\n{message.text}"[:SMS_MAX]
        url = self.s.url_template.format(to=quote(address, safe=""), text=quote(text, safe=""))
        try:
            check_url(url, allow_private=self.s.allow_private)
        except UnsafeUrl as e:
            raise NotifyError(f"sms gateway {e}", permanent=True) from None
        try:
            resp = self.client.request(self.s.method.upper(), url)
        except httpx.HTTPError as e:
            raise NotifyError(f"sms gateway: {type(e).__name__}") from None
        if resp.status_code >= 300:
            raise NotifyError(
                f"sms gateway: HTTP {resp.status_code}",
                permanent=400 <= resp.status_code < 500 and resp.status_code not in (408, 429),
            )
