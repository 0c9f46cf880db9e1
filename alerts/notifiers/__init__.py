"""Channels that carry notifications: email (SMTP), webhook (JSON), Telegram Bot API, SMS gateway (HTTP).

``NOTIFIERS`` is the one list of them: contacts are checked, the CLI offers and the delivery worker sends
through what is listed here. A new channel is one module with a ``Notifier`` subclass plus one line here
(its settings model is declared in the module: ``settings_model``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alerts.notifiers.base import AddressError, Message, Notifier, NotifyError
from alerts.notifiers.email import EmailNotifier
from alerts.notifiers.sms import SmsNotifier
from alerts.notifiers.telegram import TelegramNotifier
from alerts.notifiers.webhook import WebhookNotifier

if TYPE_CHECKING:
    from alerts.settings import AlertSettings

NOTIFIERS: tuple[type[Notifier[Any]], ...] = (
    EmailNotifier,
    WebhookNotifier,
    TelegramNotifier,
    SmsNotifier,
)

CHANNELS: tuple[str, ...] = tuple(n.channel for n in NOTIFIERS)

__all__ = [
    "CHANNELS",
    "NOTIFIERS",
    "AddressError",
    "Message",
    "Notifier",
    "NotifyError",
    "build_notifiers",
    "check_address",
    "notifier_class",
]


def notifier_class(channel: str) -> type[Notifier[Any]]:
    """The notifier of ``channel``, or AddressError naming the channels there are."""
    for n in NOTIFIERS:
        if n.channel == channel:
            return n
    raise AddressError(f"unknown channel {channel!r}: use {', '.join(n.channel for n in NOTIFIERS)}")


def check_address(channel: str, address: str, settings: AlertSettings) -> str:
    """``address`` as ``channel`` stores it, or AddressError (unknown channel, unusable address)."""
    return notifier_class(channel).check_address(address, settings)


def build_notifiers(settings: AlertSettings) -> dict[str, Notifier[Any]]:
    """One notifier per channel, configured from the settings."""
    return {n.channel: n.from_settings(settings) for n in NOTIFIERS}
