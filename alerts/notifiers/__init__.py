"""Channels that carry notifications: email (SMTP), webhook (JSON), Telegram Bot API, SMS gateway (HTTP)."""

from __future__ import annotations

from alerts.notifiers.base import Message, Notifier, NotifyError
from alerts.notifiers.email import EmailNotifier
from alerts.notifiers.sms import SmsNotifier
from alerts.notifiers.telegram import TelegramNotifier
from alerts.notifiers.webhook import WebhookNotifier
from alerts.settings import AlertSettings

__all__ = ["Message", "Notifier", "NotifyError", "build_notifiers"]


def build_notifiers(settings: AlertSettings) -> dict[str, Notifier]:
    """One notifier per channel, configured from the settings."""
    return {
        "email": EmailNotifier(settings.smtp),
        "webhook": WebhookNotifier(settings.webhook),
        "telegram": TelegramNotifier(settings.telegram),
        "sms": SmsNotifier(settings.sms),
    }
