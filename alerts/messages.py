"""Notification texts in Vietnamese (default) and English: site, room, value, limit, how long, ack link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from alerts.models import Alert
from alerts.rules import title_of

RULES = {
    "vi": {
        "smoke": "KHÓI",
        "temperature": "Nhiệt độ ngoài giới hạn",
        "humidity": "Độ ẩm ngoài giới hạn",
        "swing_temperature": "Dao động nhiệt độ 24 giờ quá lớn",
        "swing_humidity": "Dao động độ ẩm 24 giờ quá lớn",
        "mould": "Nguy cơ nấm mốc",
        "offline": "Thiết bị mất kết nối",
        "battery": "Pin yếu",
        "system_receiving": "Bộ thu không nhận dữ liệu",
        "system_influx": "Không ghi được InfluxDB",
        "system_spool": "Bộ đệm dữ liệu sắp đầy",
        "test": "Tin nhắn thử",
    },
    "en": {
        "smoke": "SMOKE",
        "temperature": "Temperature out of limits",
        "humidity": "Humidity out of limits",
        "swing_temperature": "24 h temperature swing too large",
        "swing_humidity": "24 h humidity swing too large",
        "mould": "Mould risk",
        "offline": "Device offline",
        "battery": "Battery low",
        "system_receiving": "Collector not receiving data",
        "system_influx": "InfluxDB unreachable",
        "system_spool": "Data spool filling up",
        "test": "Test message",
    },
}
UNITS = {
    "temperature": " °C",
    "humidity": " %",
    "swing_temperature": " °C",
    "swing_humidity": " %",
    "battery": " V",
    "system_spool": " %",
    "system_receiving": " s",
}
WORDS = {
    "vi": {
        "critical": "NGHIÊM TRỌNG",
        "warning": "Cảnh báo",
        "site": "Kho",
        "room": "Phòng",
        "device": "Thiết bị",
        "value": "Giá trị",
        "limit": "Giới hạn",
        "since": "Kéo dài",
        "ack": "Xác nhận",
        "resolved": "Đã hết",
        "repeat": "Nhắc lại (chưa ai xác nhận)",
        "escalate": "Chuyển cấp (chưa ai xác nhận)",
        "group": "cảnh báo",
        "system": "Hệ thống",
        "min": "phút",
        "h": "giờ",
        "smoke_on": "đầu báo khói đang báo động",
    },
    "en": {
        "critical": "CRITICAL",
        "warning": "Warning",
        "site": "Site",
        "room": "Room",
        "device": "Device",
        "value": "Value",
        "limit": "Limit",
        "since": "For",
        "ack": "Acknowledge",
        "resolved": "Resolved",
        "repeat": "Reminder (not acknowledged)",
        "escalate": "Escalated (not acknowledged)",
        "group": "warnings",
        "system": "System",
        "min": "min",
        "h": "h",
        "smoke_on": "smoke detector in alarm",
    },
}


def _lang(lang: str) -> str:
    return lang if lang in RULES else "vi"


def rule_title(rule: str, lang: str = "vi") -> str:
    """The human name of a rule (a rule added later may declare its own, see ``AlertRule.titles``)."""
    return RULES[_lang(lang)].get(rule) or title_of(rule, _lang(lang)) or rule


def duration_text(seconds: float, lang: str = "vi") -> str:
    """``1 giờ 5 phút`` / ``1 h 5 min``."""
    w = WORDS[_lang(lang)]
    minutes = max(int(seconds // 60), 0)
    h, m = divmod(minutes, 60)
    return f"{h} {w['h']} {m} {w['min']}" if h else f"{m} {w['min']}"


def _fmt(v: float | None, rule: str) -> str:
    if v is None:
        return "—"
    return f"{round(v, 3):g}{UNITS.get(rule, '')}"


def alert_lines(alert: Alert, now: datetime, lang: str = "vi") -> list[str]:
    """The facts of one alert, one per line."""
    w = WORDS[_lang(lang)]
    where = f"{w['site']} {alert.site} · {w['room']} {alert.room}" if alert.site else w["system"]
    lines = [f"{w.get(alert.severity, alert.severity)}: {rule_title(alert.rule, lang)}", where]
    if alert.device_id:
        lines.append(f"{w['device']}: {alert.device_id}")
    if alert.rule == "smoke" and (alert.details or {}).get("binary"):
        lines.append(f"{w['value']}: {w['smoke_on']}")
    elif alert.value is not None:
        limit = f" ({w['limit']} {_fmt(alert.limit_value, alert.rule)})" if alert.limit_value is not None else ""
        lines.append(f"{w['value']}: {_fmt(alert.value, alert.rule)}{limit}")
    lines.append(f"{w['since']}: {duration_text((now - alert.started_at).total_seconds(), lang)}")
    return lines


def render(alert: Alert, kind: str, now: datetime, lang: str = "vi", ack_url: str = "") -> tuple[str, str]:
    """Subject and text of one alert's notification (``kind``: fire, repeat, escalate, resolve)."""
    w = WORDS[_lang(lang)]
    prefix = {"repeat": w["repeat"] + " — ", "escalate": w["escalate"] + " — ", "resolve": w["resolved"] + ": "}.get(
        kind, ""
    )
    place = f"{alert.site}/{alert.room}" if alert.site else w["system"]
    subject = f"[kho] {prefix}{rule_title(alert.rule, lang)} — {place}"
    lines = alert_lines(alert, now, lang)
    if kind == "resolve":
        lines[0] = f"{w['resolved']}: {rule_title(alert.rule, lang)}"
    elif ack_url:
        lines.append(f"{w['ack']}: {ack_url}")
    return subject, "\n".join(([prefix.rstrip(" —:")] if prefix and kind != "resolve" else []) + lines)


def render_group(
    alerts: Sequence[Alert], site: str, now: datetime, lang: str = "vi", ack_urls: Sequence[str] = ()
) -> tuple[str, str]:
    """One message for several warnings of one site."""
    w = WORDS[_lang(lang)]
    subject = f"[kho] {len(alerts)} {w['group']} — {w['site']} {site}"
    blocks = []
    for i, a in enumerate(alerts):
        lines = alert_lines(a, now, lang)
        if i < len(ack_urls) and ack_urls[i]:
            lines.append(f"{w['ack']}: {ack_urls[i]}")
        blocks.append("\n".join(lines))
    return subject, "\n\n".join(blocks)


def test_message(contact_name: str, lang: str = "vi") -> tuple[str, str]:
    """A message that proves a channel works."""
    if _lang(lang) == "en":
        return "[kho] Test message", f"Hello {contact_name}: kho alert notifications reach you on this channel."
    return "[kho] Tin nhắn thử", f"Xin chào {contact_name}: thông báo cảnh báo của kho đến được kênh này."


CLEANING_KINDS = {
    "vi": {
        "floor": "lau sàn",
        "dusting": "hút bụi",
        "pest_inspection": "kiểm tra côn trùng",
        "disinfection": "khử trùng",
    },
    "en": {
        "floor": "floor cleaning",
        "dusting": "dusting",
        "pest_inspection": "pest inspection",
        "disinfection": "disinfection",
    },
}


def cleaning_overdue(site: str, tasks: Sequence[Any], lang: str = "vi", tz: tzinfo = UTC) -> tuple[str, str]:
    """Overdue cleaning tasks of one site (items with kind, code, room, due_at, assignee); due times in
    ``tz``, the site's zone."""
    lang = _lang(lang)
    kinds = CLEANING_KINDS[lang]
    if lang == "en":
        subject = f"[kho] {len(tasks)} cleaning task(s) overdue — site {site}"
        head, due, who = "Cleaning overdue", "due", "assignee"
    else:
        subject = f"[kho] {len(tasks)} việc vệ sinh kho quá hạn — kho {site}"
        head, due, who = "Vệ sinh kho quá hạn", "hạn", "người phụ trách"
    lines = [f"{head}:"]
    for t in tasks:
        line = f"- {kinds.get(t.kind, t.kind)} · {t.code} · {due} {t.due_at.astimezone(tz):%Y-%m-%d %H:%M (UTC%z)}"
        lines.append(line + (f" · {who}: {t.assignee}" if t.assignee else ""))
    return subject, "\n".join(lines)
