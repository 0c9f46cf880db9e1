"""Email over SMTP (optionally STARTTLS / SSL and login)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, SecretStr

from alerts.notifiers.base import AddressError, Message, Notifier, NotifyError

if TYPE_CHECKING:
    from alerts.settings import AlertSettings


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


class EmailNotifier(Notifier[SmtpSettings]):
    channel = "email"
    section = "smtp"
    address_help = "an email address"
    settings_model = SmtpSettings

    @classmethod
    def check_address(cls, address: str, settings: AlertSettings) -> str:
        address = super().check_address(address, settings)
        if "@" not in address:
            raise AddressError(f"{address!r} is not an email address")
        return address

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
