"""Notification texts in Vietnamese (default) and English: site, room, value, limit, how long, ack link.

The words are the ``alert.*`` texts of the one catalogue (``inventory.i18n``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from alerts.models import Alert
from alerts.rules import title_of
from inventory.i18n import normalize_lang, t

UNITS = {
    "temperature": " °C",
    "humidity": " %",
    "swing_temperature": " °C",
    "swing_humidity": " %",
    "battery": " V",
    "system_spool": " %",
    "system_receiving": " s",
}


class _Words:
    """``w["site"]``: the ``alert.word.*`` text in one language (``get`` falls back like ``dict.get``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> str:
        return t(self.lang, f"alert.word.{key}")

    def get(self, key: str, default: str) -> str:
        return t(self.lang, f"alert.word.{key}", default)


def _lang(lang: str) -> str:
    return normalize_lang(lang)


def rule_title(rule: str, lang: str = "vi") -> str:
    """The human name of a rule (a rule added later may declare its own, see ``AlertRule.titles``)."""
    lang = _lang(lang)
    return t(lang, f"alert.rule.{rule}", "") or title_of(rule, lang) or rule


def duration_text(seconds: float, lang: str = "vi") -> str:
    """``1 giờ 5 phút`` / ``1 h 5 min``."""
    w = _Words(_lang(lang))
    minutes = max(int(seconds // 60), 0)
    h, m = divmod(minutes, 60)
    return f"{h} {w['h']} {m} {w['min']}" if h else f"{m} {w['min']}"


def _fmt(v: float | None, rule: str) -> str:
    if v is None:
        return "—"
    return f"{round(v, 3):g}{UNITS.get(rule, '')}"


def alert_lines(alert: Alert, now: datetime, lang: str = "vi") -> list[str]:
    """The facts of one alert, one per line."""
    w = _Words(_lang(lang))
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
    w = _Words(_lang(lang))
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
    w = _Words(_lang(lang))
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
    lang = _lang(lang)
    return t(lang, "alert.test_subject"), t(lang, "alert.test_body", name=contact_name)


def cleaning_overdue(site: str, tasks: Sequence[Any], lang: str = "vi", tz: tzinfo = UTC) -> tuple[str, str]:
    """Overdue cleaning tasks of one site (items with kind, code, room, due_at, assignee); due times in
    ``tz``, the site's zone."""
    lang = _lang(lang)
    subject = t(lang, "alert.cleaning_subject", n=len(tasks), site=site)
    head, due, who = (t(lang, f"alert.cleaning_{k}") for k in ("head", "due", "assignee"))
    lines = [f"{head}:"]
    for task in tasks:
        kind = t(lang, f"alert.cleaning.{task.kind}", task.kind)
        line = f"- {kind} · {task.code} · {due} {task.due_at.astimezone(tz):%Y-%m-%d %H:%M (UTC%z)}"
        lines.append(line + (f" · {who}: {task.assignee}" if task.assignee else ""))
    return subject, "\n".join(lines)
