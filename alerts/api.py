"""HTTP: alerts JSON API, silences and contacts CRUD and the signed acknowledge link (pages: ``alerts.pages``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from alerts import links, messages, store
from alerts.models import Alert, AlertEvent, Contact, Silence
from alerts.providers import OpenAlertsProvider
from alerts.settings import AlertSettings
from inventory.auth import Principal, require_role
from inventory.db import session_scope
from inventory.errors import Conflict, NotFound
from inventory.limits import CODE_MAX, INT_MAX, NOTE_MAX, Code, IdPath, Name
from inventory.timezone import SiteZones

router = APIRouter(tags=["alerts"])
_env = Environment(loader=PackageLoader("alerts", "templates"), autoescape=select_autoescape(["html"]))

# Who may do what (inventory's roles: viewer < keeper < manager < admin).
can_view = require_role("viewer")
can_manage = require_role("manager")

UI = {
    "vi": {
        "title": "Cảnh báo",
        "open": "Đang mở",
        "all": "Tất cả",
        "none": "Không có cảnh báo.",
        "alert": "Cảnh báo",
        "where": "Nơi",
        "value": "Giá trị",
        "since": "Bắt đầu",
        "state": "Trạng thái",
        "ack": "Xác nhận / Acknowledge",
        "comment": "Ghi chú",
        "system": "Hệ thống",
        "pending": "chờ",
        "firing": "đang báo",
        "acknowledged": "đã xác nhận",
        "resolved": "đã hết",
        "ack_title": "Xác nhận cảnh báo",
        "acked": "Đã xác nhận. Cảm ơn!",
        "expired": "Liên kết đã hết hạn.",
        "used": "Liên kết đã được dùng.",
        "invalid": "Liên kết không hợp lệ.",
        "conflict": "Cảnh báo này không còn ở trạng thái đang báo.",
    },
    "en": {
        "title": "Alerts",
        "open": "Open",
        "all": "All",
        "none": "No alerts.",
        "alert": "Alert",
        "where": "Where",
        "value": "Value",
        "since": "Since",
        "state": "State",
        "ack": "Acknowledge / Xác nhận",
        "comment": "Comment",
        "system": "System",
        "pending": "pending",
        "firing": "firing",
        "acknowledged": "acknowledged",
        "resolved": "resolved",
        "ack_title": "Acknowledge alert",
        "acked": "Acknowledged. Thank you!",
        "expired": "This link has expired.",
        "used": "This link was already used.",
        "invalid": "This link is not valid.",
        "conflict": "This alert is no longer firing.",
    },
}


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None) or time.time
    return datetime.fromtimestamp(clock(), UTC)


def _alert_settings(request: Request) -> AlertSettings | None:
    settings = getattr(request.app.state, "settings", None)
    return settings.alerts if settings is not None else None


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang not in UI:
        settings = getattr(request.app.state, "settings", None)
        lang = settings.alerts.default_language if settings is not None else "vi"
    return lang if lang in UI else "vi"


def alert_dict(a: Alert) -> dict[str, Any]:
    """The JSON form of an alert."""
    return {
        "id": a.id,
        "rule": a.rule,
        "severity": a.severity,
        "state": a.state,
        "site": a.site,
        "room": a.room,
        "room_id": a.room_id,
        "device_id": a.device_id,
        "value": a.value,
        "limit": a.limit_value,
        "details": a.details,
        "started_at": a.started_at.isoformat(),
        "fired_at": a.fired_at.isoformat() if a.fired_at else None,
        "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
        "acknowledged_by": a.acknowledged_by,
        "ack_comment": a.ack_comment,
        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
        "notify_count": a.notify_count,
        "tier": a.tier,
    }


def _event_dict(e: AlertEvent) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "comment": e.comment, "data": e.data}


def _silence_dict(s: Silence) -> dict[str, Any]:
    return {
        "id": s.id,
        "site": s.site,
        "room": s.room,
        "rule": s.rule,
        "device_id": s.device_id,
        "starts_at": s.starts_at.isoformat(),
        "ends_at": s.ends_at.isoformat(),
        "reason": s.reason,
        "author": s.author,
    }


def _contact_dict(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "site": c.site,
        "tier": c.tier,
        "channel": c.channel,
        "address": c.address,
        "language": c.language,
        "active": c.active,
    }


# ---- alerts ------------------------------------------------------------------------------------------------------


@router.get("/api/alerts")
def list_alerts_api(
    request: Request,
    state: Annotated[str, Query(max_length=CODE_MAX)] | None = None,
    room_id: Annotated[int, Query(ge=1, le=INT_MAX)] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    who: Principal = Depends(can_view),
) -> list[dict[str, Any]]:
    """Alerts newest first; ``state`` = pending|firing|acknowledged|resolved|open."""
    with _sessions(request)() as s:
        return [alert_dict(a) for a in store.list_alerts(s, state, min(max(limit, 1), 1000), room_id)]


@router.get("/api/alerts/{alert_id}")
def get_alert_api(request: Request, alert_id: IdPath, who: Principal = Depends(can_view)) -> dict[str, Any]:
    """One alert with its history."""
    with _sessions(request)() as s:
        a = store.get_alert(s, alert_id)
        return {**alert_dict(a), "history": [_event_dict(e) for e in store.history(s, alert_id)]}


class AckBody(BaseModel):
    comment: str = Field(default="", max_length=2000)


@router.post("/api/alerts/{alert_id}/ack")
def ack_api(
    request: Request, alert_id: IdPath, body: AckBody | None = None, who: Principal = Depends(can_manage)
) -> dict[str, Any]:
    """Acknowledge a firing alert (manager or higher): reminders and escalation stop."""
    with session_scope(_sessions(request)) as s:
        a = store.acknowledge(s, alert_id, who.actor, body.comment if body else "", _now(request))
        return alert_dict(a)


# ---- silences ----------------------------------------------------------------------------------------------------


class SilenceBody(BaseModel):
    site: Code = ""
    room: Code = ""
    rule: Code = ""
    device_id: Code = ""
    ends_at: AwareDatetime | None = Field(None, description="with its time zone, e.g. 2026-11-30T08:00:00+07:00")
    minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 90)
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/api/silences")
def list_silences_api(request: Request, all: bool = False, who: Principal = Depends(can_view)) -> list[dict[str, Any]]:
    """Silences in force (``all=true``: also expired ones)."""
    with _sessions(request)() as s:
        return [_silence_dict(x) for x in store.list_silences(s, _now(request), include_expired=all)]


@router.post("/api/silences", status_code=201)
def create_silence_api(request: Request, body: SilenceBody, who: Principal = Depends(can_manage)) -> dict[str, Any]:
    """Mute notifications for a scope until ``ends_at`` (or for ``minutes``)."""
    now = _now(request)
    if body.ends_at is None and body.minutes is None:
        raise HTTPException(400, "give ends_at or minutes")
    ends = body.ends_at or now + timedelta(minutes=body.minutes or 0)
    if ends.tzinfo is None:
        raise HTTPException(400, "ends_at needs a time zone (e.g. 2026-11-30T08:00:00+07:00)")
    with session_scope(_sessions(request)) as s:
        sil = store.add_silence(
            s,
            ends,
            body.reason,
            who.actor,
            site=body.site,
            room=body.room,
            rule=body.rule,
            device_id=body.device_id,
            starts_at=now,
        )
        return _silence_dict(sil)


@router.delete("/api/silences/{silence_id}")
def end_silence_api(request: Request, silence_id: IdPath, who: Principal = Depends(can_manage)) -> dict[str, Any]:
    """End a silence now (it stays in the history)."""
    with session_scope(_sessions(request)) as s:
        return _silence_dict(store.end_silence(s, silence_id, _now(request)))


# ---- contacts ----------------------------------------------------------------------------------------------------


class ContactBody(BaseModel):
    name: Name
    site: Code = "*"
    channel: Code
    address: Annotated[str, Field(max_length=2000)]
    tier: Annotated[int, Field(ge=1, le=9)] = 1
    language: Code = "vi"


@router.get("/api/alert-contacts")
def list_contacts_api(
    request: Request,
    site: Annotated[str, Query(max_length=CODE_MAX)] | None = None,
    who: Principal = Depends(can_manage),
) -> list[dict[str, Any]]:
    """Who is notified, per site and tier."""
    with _sessions(request)() as s:
        return [_contact_dict(c) for c in store.list_contacts(s, site)]


@router.post("/api/alert-contacts", status_code=201)
def add_contact_api(request: Request, body: ContactBody, who: Principal = Depends(can_manage)) -> dict[str, Any]:
    """Add a contact (tier 1 keeper, 2 manager, 3 director)."""
    with session_scope(_sessions(request)) as s:
        return _contact_dict(
            store.add_contact(
                s,
                body.name,
                body.site,
                body.channel,
                body.address,
                body.tier,
                body.language,
                settings=_alert_settings(request),
            )
        )


@router.delete("/api/alert-contacts/{contact_id}")
def remove_contact_api(request: Request, contact_id: IdPath, who: Principal = Depends(can_manage)) -> dict[str, str]:
    with session_scope(_sessions(request)) as s:
        store.remove_contact(s, contact_id)
    return {"status": "removed"}


# ---- pages -------------------------------------------------------------------------------------------------------


def _view(a: Alert, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    value = "" if a.value is None else f"{a.value:g}" + (f" / {a.limit_value:g}" if a.limit_value is not None else "")
    return {
        **alert_dict(a),
        "title": messages.rule_title(a.rule, lang),
        "value_text": value,
        "started_local": a.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
    }


def _tz(request: Request, site: str) -> ZoneInfo:
    """The zone of the alert's site (inventory.timezone)."""
    zones: SiteZones | None = getattr(request.app.state, "site_zones", None)
    if zones is None:
        zones = request.app.state.site_zones = SiteZones(_sessions(request))
    return zones.of(site)


def _page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**ctx), status_code=status)


def _link_alert(request: Request, token: str, lang: str) -> tuple[dict[str, Any] | None, str]:
    try:
        alert_id, _by, _jti = links.read_token(request.app.state.secret_key, token, _now(request).timestamp())
    except links.LinkError as e:
        return None, UI[lang][e.reason]
    with _sessions(request)() as s:
        a = s.get(Alert, alert_id)
        return (_view(a, lang, _tz(request, a.site)) if a else None), ""


@router.get("/alerts/ack/{token}", response_class=HTMLResponse)
def ack_link_page(request: Request, token: Annotated[str, Path(max_length=1000)]) -> HTMLResponse:
    """The link in a notification: shows the alert and a confirm button (a GET never acknowledges,
    so mail scanners that open links do not use them up)."""
    lang = _lang(request)
    alert, error = _link_alert(request, token, lang)
    return _page(
        "ack.html",
        status=410 if error else 200,
        lang=lang,
        t=UI[lang],
        title=UI[lang]["ack_title"],
        alert=alert,
        error=error,
        confirm=not error and alert is not None and alert["state"] == "firing",
    )


@router.post("/alerts/ack/{token}", response_class=HTMLResponse)
def ack_link_use(
    request: Request, token: Annotated[str, Path(max_length=1000)], comment: str = Form("", max_length=NOTE_MAX)
) -> HTMLResponse:
    """Acknowledge through the signed link (single use)."""
    lang = _lang(request)
    try:
        with session_scope(_sessions(request)) as s:
            a = links.use_token(s, request.app.state.secret_key, token, _now(request), comment)
            view = _view(a, lang, _tz(request, a.site))
    except links.LinkError as e:
        return _page(
            "ack.html",
            status=410,
            lang=lang,
            t=UI[lang],
            title=UI[lang]["ack_title"],
            error=UI[lang][e.reason],
            alert=None,
            confirm=False,
        )
    except Conflict:
        return _page(
            "ack.html",
            status=409,
            lang=lang,
            t=UI[lang],
            title=UI[lang]["ack_title"],
            error=UI[lang]["conflict"],
            alert=None,
            confirm=False,
        )
    except NotFound:
        return _page(
            "ack.html",
            status=404,
            lang=lang,
            t=UI[lang],
            title=UI[lang]["ack_title"],
            error=UI[lang]["invalid"],
            alert=None,
            confirm=False,
        )
    return _page(
        "ack.html",
        lang=lang,
        t=UI[lang],
        title=UI[lang]["ack_title"],
        alert=view,
        done=UI[lang]["acked"],
        confirm=False,
    )


def setup_app(app: FastAPI) -> None:
    """Offer the room pages their open alerts (errors and auth failures are answered by the handlers the
    composition root installs for every router)."""
    if getattr(app.state, "alerts_provider", None) is None:
        settings = getattr(app.state, "settings", None)
        app.state.alerts_provider = OpenAlertsProvider(
            app.state.sessions, settings.alerts.default_language if settings is not None else "vi"
        )
