"""Notification texts (Vietnamese default, English) and settings validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alerts import messages
from alerts.models import Alert
from alerts.notifiers.telegram import TelegramNotifier
from alerts.routing import in_quiet_hours, parse_quiet_hours
from alerts.settings import AlertSettings
from kho.settings import load_settings

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def _alert(**kw: object) -> Alert:
    base: dict[str, object] = dict(
        id=7,
        rule="humidity",
        severity="warning",
        state="firing",
        site="HN",
        room="P1",
        device_id="n1",
        value=68.5,
        limit_value=65.0,
        details={},
        started_at=NOW - timedelta(minutes=75),
        notify_count=0,
        tier=1,
    )
    base.update(kw)
    return Alert(**base)


def test_vietnamese_message_names_everything() -> None:
    subject, text = messages.render(_alert(), "fire", NOW, "vi", "https://kho.vn/alerts/ack/abc")
    assert subject == "[kho] Độ ẩm ngoài giới hạn — HN/P1"
    for part in (
        "Cảnh báo: Độ ẩm ngoài giới hạn",
        "Kho HN · Phòng P1",
        "Thiết bị: n1",
        "Giá trị: 68.5 % (Giới hạn 65 %)",
        "Kéo dài: 1 giờ 15 phút",
        "Xác nhận: https://kho.vn/alerts/ack/abc",
    ):
        assert part in text


def test_english_resolve_and_repeat() -> None:
    subject, text = messages.render(_alert(), "resolve", NOW, "en")
    assert subject.startswith("[kho] Resolved: Humidity out of limits") and "ack" not in text.lower()
    subject, text = messages.render(
        _alert(severity="critical", rule="smoke", details={"binary": True}), "repeat", NOW, "en", "u"
    )
    assert "Reminder" in subject and "CRITICAL: SMOKE" in text and "smoke detector in alarm" in text


def test_group_message() -> None:
    subject, text = messages.render_group(
        [_alert(), _alert(id=8, rule="battery", value=3.1, limit_value=3.3)], "HN", NOW, "vi", ["u1", "u2"]
    )
    assert subject == "[kho] 2 cảnh báo — Kho HN"
    assert "Pin yếu" in text and "Xác nhận: u2" in text


def test_quiet_hours_wrap_midnight() -> None:
    from zoneinfo import ZoneInfo

    w = parse_quiet_hours("22:00-06:00")
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert in_quiet_hours(datetime(2026, 1, 1, 16, 0, tzinfo=UTC), w, tz)  # 23:00 local
    assert in_quiet_hours(datetime(2026, 1, 1, 22, 30, tzinfo=UTC), w, tz)  # 05:30 local
    assert not in_quiet_hours(datetime(2026, 1, 1, 3, 0, tzinfo=UTC), w, tz)  # 10:00 local
    assert not in_quiet_hours(NOW, None, tz)


@pytest.mark.parametrize("bad", [{"quiet_hours": "22h"}, {"timezone": "Mars/Base"}, {"default_language": "fr"}])
def test_bad_settings_are_validation_errors(bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        AlertSettings(**bad)  # type: ignore[arg-type]


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHO_ALERTS__REPEAT_CRITICAL_S", "120")
    monkeypatch.setenv("KHO_ALERTS__TELEGRAM__BOT_TOKEN", "1:secret")
    s = load_settings()
    assert s.alerts.repeat_critical_s == 120
    assert TelegramNotifier.settings_of(s.alerts).bot_token.get_secret_value() == "1:secret"
    assert "secret" not in repr(s.alerts.telegram)
