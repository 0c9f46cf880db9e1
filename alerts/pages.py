"""The alerts pages in the app's layout: the list (cards on a phone), acknowledge with comment and confirmation,
silences and alert contacts for managers; the open-alert count in every page's header."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import PackageLoader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts import messages, store
from alerts.delivery import send_test_message
from alerts.models import OPEN_STATES, Alert, Delivery
from alerts.periods import AlertPeriods
from alerts.rules import ALERT_NAMES
from alerts.settings import AlertSettings
from inventory.auth import Principal, optional_principal, require_role
from inventory.db import session_scope
from inventory.errors import RegistryError
from inventory.i18n import t
from inventory.models import Room, Site
from inventory.timezone import SiteZones, local_zone
from inventory.webutil import flash, flash_text, lang_of, page_env, redirect, render

router = APIRouter(include_in_schema=False)
_env = page_env(PackageLoader("alerts", "templates"))
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]
UNITS = {"temperature": "°C", "humidity": "%", "swing_temperature": "°C", "swing_humidity": "%", "battery": "V"}
SILENCE_MINUTES = (30, 60, 120, 240, 480, 1440, 2880, 10080)
CHANNELS = ("email", "telegram", "sms", "webhook")


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None) or time.time
    return datetime.fromtimestamp(clock(), UTC)


def _alert_settings(request: Request) -> AlertSettings:
    settings = getattr(request.app.state, "settings", None)
    return settings.alerts if settings is not None else AlertSettings()


def _hold_s(rule: str, cfg: AlertSettings) -> int:
    """How long a pending alert's condition must hold before it fires."""
    return cfg.system_duration_s if rule.startswith("system_") else cfg.threshold_duration_s


def _names(s: Session) -> tuple[dict[str, str], dict[int, str]]:
    sites = {code: name for code, name in s.execute(select(Site.code, Site.name))}
    rooms = {rid: name for rid, name in s.execute(select(Room.id, Room.name))}
    return sites, rooms


def _fmt_value(v: float | None, rule: str) -> str:
    if v is None:
        return ""
    unit = UNITS.get(rule, "")
    return f"{round(v, 2):g}{(' ' + unit) if unit else ''}"


def alert_card(
    a: Alert,
    lang: str,
    now: datetime,
    cfg: AlertSettings,
    sites: dict[str, str],
    rooms: dict[int, str],
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """What one alert card shows, translated and in ``tz`` (the alert's site's zone)."""
    tz = tz or local_zone()
    state = a.state
    if state == "pending":
        left = a.started_at + timedelta(seconds=_hold_s(a.rule, cfg)) - now
        state_text = t(lang, "a_pending_wait", n=max(int(left.total_seconds() // 60) + 1, 1))
    elif state == "acknowledged":
        state_text = t(lang, "a_acked_by", who=a.acknowledged_by or "?")
    else:
        state_text = t(lang, f"a_state_{state}")
    where = t(lang, "a_system")
    if a.site:
        where = sites.get(a.site, a.site)
        if a.room_id is not None or a.room:
            where += " · " + (rooms.get(a.room_id, a.room) if a.room_id is not None else a.room)
    value = _fmt_value(a.value, a.rule)
    if a.rule == "smoke" and (a.details or {}).get("binary"):
        value = t(lang, "a_smoke_alarm")
    limit = _fmt_value(a.limit_value, a.rule)
    return {
        "id": a.id,
        "rule": a.rule,
        "title": messages.rule_title(a.rule, lang),
        "severity": a.severity,
        "severity_text": t(lang, f"a_sev_{a.severity}"),
        "state": state,
        "state_text": state_text,
        "where": where,
        "room_id": a.room_id,
        "device_id": a.device_id,
        "value": value,
        "limit": limit,
        "started": a.started_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
        "duration": messages.duration_text(((a.resolved_at or now) - a.started_at).total_seconds(), lang),
        "acked_at": a.acknowledged_at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if a.acknowledged_at else "",
        "ack_comment": a.ack_comment,
        "resolved": a.resolved_at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if a.resolved_at else "",
    }


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, who: Viewer, state: str = "open") -> Response:
    """Open (or all recent) alerts, most urgent first; managers acknowledge from here."""
    lang = lang_of(request)
    now = _now(request)
    with _sessions(request)() as s:
        rows = store.list_alerts(s, None if state == "all" else "open", 200)
        sites, rooms = _names(s)
        zones = getattr(request.app.state, "site_zones", None) or SiteZones(_sessions(request))
        cfg = _alert_settings(request)
        cards = [alert_card(a, lang, now, cfg, sites, rooms, zones.of(a.site)) for a in rows]
    order = {"firing": 0, "pending": 1, "acknowledged": 2, "resolved": 3}
    cards.sort(key=lambda c: (order.get(c["state"], 9), c["severity"] != "critical"))
    return render(request, "alerts/list.html", env=_env, cards=cards, state="all" if state == "all" else "open")


@router.post("/alerts/{alert_id}/ack")
def ack_form(request: Request, alert_id: int, who: Manager, comment: Annotated[str, Form()] = "") -> Response:
    """The card's acknowledge form (after its confirmation step)."""
    try:
        with session_scope(_sessions(request)) as s:
            store.acknowledge(s, alert_id, who.actor, comment.strip()[:2000], _now(request))
    except RegistryError as e:
        flash_text(request, t(lang_of(request), "a_ack_failed", why=str(e)))
        return redirect("/alerts")
    flash(request, "a_acked_ok")
    return redirect("/alerts")


# ---- silences ----------------------------------------------------------------------------------------------------


@router.get("/alerts/silences", response_class=HTMLResponse)
def silences_page(request: Request, who: Manager) -> Response:
    now = _now(request)
    with _sessions(request)() as s:
        rows = store.list_silences(s, now)
        sites, _rooms = _names(s)
        room_rows = list(s.execute(select(Site.code, Room.code, Room.name).join(Site).order_by(Site.code, Room.code)))
    silences = [
        {
            "id": x.id,
            "scope": " · ".join(
                p
                for p in (
                    sites.get(x.site, x.site),
                    x.room,
                    x.rule and messages.rule_title(x.rule, lang_of(request)),
                    x.device_id,
                )
                if p
            ),
            "ends": x.ends_at.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M"),
            "reason": x.reason,
            "author": x.author,
        }
        for x in rows
    ]
    return render(
        request,
        "alerts/silences.html",
        env=_env,
        silences=silences,
        rooms=room_rows,
        rules=list(ALERT_NAMES),
        minutes=[(m, _span_text(m, lang_of(request))) for m in SILENCE_MINUTES],
        rule_title=lambda r: messages.rule_title(r, lang_of(request)),
        form=request.session.pop("silence_form", None) or {},
    )


def _span_text(minutes: int, lang: str) -> str:
    if minutes < 60:
        return t(lang, "a_minutes", n=minutes)
    if minutes < 1440:
        return t(lang, "a_hours", n=minutes // 60)
    return t(lang, "a_days", n=minutes // 1440)


@router.post("/alerts/silences")
def silence_add(
    request: Request,
    who: Manager,
    where: Annotated[str, Form()] = "",
    rule: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "60",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Mute notifications for a room (or a site, or everything) and optionally one rule, for a while."""
    lang = lang_of(request)
    site, _, room = where.partition("/")
    try:
        mins = int(minutes)
        if not 1 <= mins <= 60 * 24 * 90:
            raise ValueError
    except ValueError:
        mins = 0
    if not reason.strip() or not mins:
        request.session["silence_form"] = {"where": where, "rule": rule, "minutes": minutes, "reason": reason}
        flash_text(request, t(lang, "a_silence_invalid"))
        return redirect("/alerts/silences")
    now = _now(request)
    try:
        with session_scope(_sessions(request)) as s:
            store.add_silence(
                s,
                now + timedelta(minutes=mins),
                reason.strip(),
                who.actor,
                site=site,
                room=room,
                rule=rule,
                starts_at=now,
            )
    except RegistryError as e:
        request.session["silence_form"] = {"where": where, "rule": rule, "minutes": minutes, "reason": reason}
        flash_text(request, str(e))
        return redirect("/alerts/silences")
    flash(request, "ok_saved")
    return redirect("/alerts/silences")


@router.post("/alerts/silences/{silence_id}/end")
def silence_end(request: Request, silence_id: int, who: Manager) -> Response:
    try:
        with session_scope(_sessions(request)) as s:
            store.end_silence(s, silence_id, _now(request))
    except RegistryError as e:
        flash_text(request, str(e))
        return redirect("/alerts/silences")
    flash(request, "ok_saved")
    return redirect("/alerts/silences")


# ---- contacts ----------------------------------------------------------------------------------------------------


@router.get("/alerts/contacts", response_class=HTMLResponse)
def contacts_page(request: Request, who: Manager) -> Response:
    with _sessions(request)() as s:
        contacts = list(store.list_contacts(s))
        sites = list(s.execute(select(Site.code, Site.name).order_by(Site.code)))
        last = {
            cid: at
            for cid, at in s.execute(
                select(Delivery.contact_id, func.max(Delivery.created_at))
                .where(Delivery.kind == "test")
                .group_by(Delivery.contact_id)
            )
        }
    rows = [
        {
            "id": c.id,
            "name": c.name,
            "site": c.site,
            "tier": c.tier,
            "channel": c.channel,
            "address": c.address,
            "language": c.language,
            "tested": last[c.id].astimezone(local_zone()).strftime("%d/%m/%Y %H:%M") if last.get(c.id) else "",
        }
        for c in sorted(contacts, key=lambda c: (c.site, c.tier, c.name))
    ]
    return render(
        request,
        "alerts/contacts.html",
        env=_env,
        contacts=rows,
        sites=sites,
        channels=CHANNELS,
        form=request.session.pop("contact_form", None) or {},
    )


@router.post("/alerts/contacts")
def contact_add(
    request: Request,
    who: Manager,
    name: Annotated[str, Form()] = "",
    site: Annotated[str, Form()] = "*",
    channel: Annotated[str, Form()] = "email",
    address: Annotated[str, Form()] = "",
    tier: Annotated[str, Form()] = "1",
    language: Annotated[str, Form()] = "vi",
) -> Response:
    form = {"name": name, "site": site, "channel": channel, "address": address, "tier": tier, "language": language}
    try:
        with session_scope(_sessions(request)) as s:
            tier_n = int(tier) if tier.isdigit() else 0
            cfg = _alert_settings(request)
            store.add_contact(s, name, site, channel, address, tier_n, language, settings=cfg)
    except RegistryError as e:
        request.session["contact_form"] = form
        flash_text(request, t(lang_of(request), "a_contact_invalid", why=str(e)))
        return redirect("/alerts/contacts")
    flash(request, "ok_saved")
    return redirect("/alerts/contacts")


@router.post("/alerts/contacts/{contact_id}/delete")
def contact_delete(request: Request, contact_id: int, who: Manager) -> Response:
    try:
        with session_scope(_sessions(request)) as s:
            store.remove_contact(s, contact_id)
    except RegistryError as e:
        flash_text(request, str(e))
        return redirect("/alerts/contacts")
    flash(request, "ok_saved")
    return redirect("/alerts/contacts")


@router.post("/alerts/contacts/{contact_id}/test")
def contact_test(request: Request, contact_id: int, who: Manager) -> Response:
    """The "send a test message" button: sends now and says whether it worked."""
    lang = lang_of(request)
    try:
        error = send_test_message(_sessions(request), _alert_settings(request), contact_id, _now(request))
    except RegistryError as e:
        error = str(e)
    if error:
        flash_text(request, t(lang, "a_test_failed", why=error))
    else:
        flash(request, "a_test_sent")
    return redirect("/alerts/contacts")


# ---- wiring ------------------------------------------------------------------------------------------------------


def open_count(sessions: sessionmaker[Session]) -> int:
    """How many alerts are open (pending, firing or acknowledged)."""
    with sessions() as s:
        return int(s.scalar(select(func.count(Alert.id)).where(Alert.state.in_([x.value for x in OPEN_STATES]))) or 0)


def _header_context(request: Request) -> dict[str, Any]:
    if "session" not in request.scope or optional_principal(request) is None:
        return {}
    return {"open_alerts": open_count(_sessions(request))}


def setup_app(app: FastAPI) -> None:
    """The header's open-alert count on every page, and the alert periods the climate charts shade."""
    providers = list(getattr(app.state, "page_context", []))
    providers.append(_header_context)
    app.state.page_context = providers
    if getattr(app.state, "alert_periods_provider", None) is None:
        settings = getattr(app.state, "settings", None)
        app.state.alert_periods_provider = AlertPeriods(
            app.state.sessions, settings.alerts.default_language if settings is not None else "vi"
        )
