"""Email over SMTP (optionally STARTTLS / SSL and login)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alerts.notifiers.base import AddressError, Message, Notifier, NotifyError
from alerts.settings import AlertSettings, SmtpSettings


class EmailNotifier(Notifier):
    channel = "email"
    section = "smtp"
    address_help = "an email address"

    @classmethod
    def check_address(cls, address: str, settings: AlertSettings) -> str:
        address = super().check_address(address, settings)
        if "@" not in address:
            raise AddressError(f"{address!r} is not an email address")
        return address

    def __init__(self, settings: SmtpSettings) -> None:
        self.s = settings

    def send(self, address: str, message: Message) -> None:
        msg = EmailMessage()
        msg["From"] = self.s.sender
        msg["To"] = address
        msg["Subject"] = message.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="kho")
        msg.set_content(message.text)
        cls = smtplib.SMTP_SSL if self.s.use_ssl else smtplib.SMTP
        try:
            with cls(self.s.host, self.s.port, timeout=self.s.timeout_s) as smtp:
                if self.s.starttls and not self.s.use_ssl:
                    smtp.starttls()
                if self.s.username:
                    smtp.login(self.s.username, self.s.password.get_secret_value())
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as e:
            raise NotifyError(f"recipient refused: {e}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as e:
            raise NotifyError(f"smtp {self.s.host}:{self.s.port}: {e}") from None
