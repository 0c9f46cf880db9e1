"""Each channel against a real receiver: SMTP (aiosmtpd), webhook with HMAC, Telegram-shaped API, SMS gateway."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from alerts.notifiers import Message, NotifyError
from alerts.notifiers.email import EmailNotifier, SmtpSettings
from alerts.notifiers.sms import SmsNotifier, SmsSettings
from alerts.notifiers.telegram import TelegramNotifier, TelegramSettings
from alerts.notifiers.webhook import SIGNATURE_HEADER, WebhookNotifier, WebhookSettings
from kho.localservers import free_port
from tests.conftest import wait_for

MSG = Message("[kho] KHÓI — HN/P1", "NGHIÊM TRỌNG: KHÓI\nKho HN · Phòng P1", {"kind": "fire", "alerts": [{"id": 1}]})


class _Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Sink, int]]:
    sink = _Sink()
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    yield sink, port
    ctl.stop()


def test_email_over_real_smtp(smtp_server: tuple[_Sink, int]) -> None:
    sink, port = smtp_server
    EmailNotifier(SmtpSettings(host="127.0.0.1", port=port, sender="kho@archive.vn")).send("thukho@archive.vn", MSG)
    [(frm, to, raw)] = sink.messages
    assert frm == "kho@archive.vn" and to == ["thukho@archive.vn"]
    mail = message_from_bytes(raw)
    assert str(make_header(decode_header(mail["Subject"]))) == MSG.subject
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert "Phòng P1" in payload.decode("utf-8")


def test_email_server_down_is_a_retryable_error() -> None:
    with pytest.raises(NotifyError) as e:
        EmailNotifier(SmtpSettings(host="127.0.0.1", port=free_port(), timeout_s=2)).send("a@b.vn", MSG)
    assert not e.value.permanent


def test_webhook_json_with_hmac_signature(webhook: Any) -> None:
    WebhookNotifier(WebhookSettings(secret=SecretStr("s3cret"), allow_private=True)).send(webhook.url + "/hook", MSG)
    [req] = webhook.wait_for(1)
    assert req.path == "/hook"
    assert req.json()["subject"] == MSG.subject and req.json()["alerts"] == [{"id": 1}]
    expected = "sha256=" + hmac.new(b"s3cret", req.body, hashlib.sha256).hexdigest()
    assert req.headers[SIGNATURE_HEADER.lower()] == expected


def test_telegram_send_message_shape(http_receiver: Any) -> None:
    bot = http_receiver(telegram=True)
    TelegramNotifier(TelegramSettings(base_url=bot.url, bot_token=SecretStr("123:ABC"))).send("-100200", MSG)
    [req] = bot.wait_for(1)
    assert req.path == "/bot123:ABC/sendMessage"
    body = req.json()
    assert body["chat_id"] == "-100200" and "KHÓI" in body["text"]


def test_telegram_error_is_reported(http_receiver: Any) -> None:
    bot = http_receiver(telegram=False)  # answers {} without "ok": true
    with pytest.raises(NotifyError):
        TelegramNotifier(TelegramSettings(base_url=bot.url, bot_token=SecretStr("1:x"))).send("1", MSG)


def test_sms_gateway_template(http_receiver: Any) -> None:
    gw = http_receiver()
    SmsNotifier(SmsSettings(url_template=gw.url + "/send?to={to}&msg={text}", allow_private=True)).send(
        "+84901234567", MSG
    )
    [req] = gw.wait_for(1)
    q = parse_qs(urlparse(req.path).query)
    assert q["to"] == ["+84901234567"]
    assert q["msg"][0].startswith("[kho] KHÓI")


def test_email_delivery_through_the_engine(
    sqlite_sessions: Any, clock: Any, make_engine: Any, smtp_server: tuple[_Sink, int]
) -> None:
    from alerts import store
    from inventory.db import session_scope
    from tests.alerts.conftest import fast_settings, make_registry, reading

    sink, port = smtp_server
    room = make_registry(sqlite_sessions)
    with session_scope(sqlite_sessions) as s:
        store.add_contact(s, "Giám đốc", "HN", "email", "gd@archive.vn", tier=1, language="vi")
    settings = fast_settings(smtp=SmtpSettings(host="127.0.0.1", port=port))
    eng = make_engine(sqlite_sessions, clock, settings)
    eng.on_readings([reading(room, clock.ms, "s1", smoke=1)])
    assert eng.settle()
    wait_for(lambda: sink.messages, 5, "no mail reached the SMTP server")
    [(_, to, raw)] = sink.messages
    assert to == ["gd@archive.vn"]
    text = message_from_bytes(raw).get_payload(decode=True)
    assert isinstance(text, bytes)
    body = text.decode()
    assert "KHÓI" in body and "http://kho.test/alerts/ack/" in body
