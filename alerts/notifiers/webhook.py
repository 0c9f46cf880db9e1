"""Generic webhook: POST the alert as JSON; with a secret, ``X-Kho-Signature: sha256=<hmac of body>``."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

import httpx
import orjson
from pydantic import BaseModel, Field, SecretStr

from alerts.notifiers.base import AddressError, Message, Notifier, NotifyError
from alerts.urlcheck import UnsafeUrl, check_url, redact

SIGNATURE_HEADER = "X-Kho-Signature"

if TYPE_CHECKING:
    from alerts.settings import AlertSettings


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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


class WebhookNotifier(Notifier[WebhookSettings]):
    channel = "webhook"
    section = "webhook"
    address_help = "an http(s) URL"
    settings_model = WebhookSettings

    @classmethod
    def check_address(cls, address: str, settings: AlertSettings) -> str:
        address = super().check_address(address, settings)
        if not address.startswith(("http://", "https://")):
            raise AddressError("a webhook address must be an http(s) URL")
        try:
            check_url(address, allow_private=cls.settings_of(settings).allow_private, unresolved_ok=True)
        except UnsafeUrl as e:
            raise AddressError(str(e)) from None
        return address

    def __init__(self, settings: WebhookSettings) -> None:
        self.s = settings
        self.client = httpx.Client(timeout=settings.timeout_s)

    def send(self, address: str, message: Message) -> None:
        try:
            check_url(address, allow_private=self.s.allow_private)
        except UnsafeUrl as e:
            raise NotifyError(f"webhook {e}", permanent=True) from None
        body = orjson.dumps({"subject": message.subject, "text": message.text, **message.payload})
        headers = {"Content-Type": "application/json"}
        secret = self.s.secret.get_secret_value()
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        try:
            resp = self.client.post(address, content=body, headers=headers)
        except httpx.HTTPError as e:
            raise NotifyError(f"webhook {redact(address)}: {str(e).replace(address, redact(address))}") from None
        if resp.status_code >= 300:
            # 4xx other than throttling means the receiver will never take it.
            permanent = 400 <= resp.status_code < 500 and resp.status_code not in (408, 429)
            raise NotifyError(f"webhook {redact(address)}: HTTP {resp.status_code}", permanent=permanent)
