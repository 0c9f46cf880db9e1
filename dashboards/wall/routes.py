"""``/wall`` and ``/wall/<site>``: the wall page and its JSON; ``/wall-links``: kiosk links for managers.

A wall page is open to any logged-in user, or to a kiosk with ``?token=<wall link secret>`` — that secret opens its
own site's wall page and data and nothing else (it is not a session and not an API token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import FileSystemLoader
from sqlalchemy import select

from collector.history import ClimateHistory
from dashboards.wall import links
from dashboards.wall.snapshot import WallSnapshots
from inventory.auth import AuthError, Principal, optional_principal, require_role
from inventory.db import session_scope
from inventory.errors import NotFound, RegistryError
from inventory.i18n import t
from inventory.models import Site
from inventory.webutil import flash, flash_text, lang_of, page_env, redirect, render

router = APIRouter(include_in_schema=False)
_env = page_env(FileSystemLoader(Path(__file__).parent / "templates"))
Manager = Annotated[Principal, Depends(require_role("manager"))]


def _snapshots(request: Request) -> WallSnapshots:
    snaps: WallSnapshots | None = getattr(request.app.state, "wall_snapshots", None)
    if snaps is None:
        settings = request.app.state.settings
        influx = settings.influx.model_copy(update={"timeout_s": settings.wall.influx_timeout_s})
        snaps = WallSnapshots(request.app.state.sessions, ClimateHistory(influx), settings.web.stale_after_s)
        request.app.state.wall_snapshots = snaps
    return snaps


def _allowed_site(request: Request, token: str) -> str | None:
    """The site a wall link's secret opens (None: it opens nothing); "*" for a logged-in user."""
    if token:
        with session_scope(request.app.state.sessions) as s:
            link = links.link_for(s, token)
            return link.site_code if link is not None else None
    if "session" in request.scope and optional_principal(request) is not None:
        return "*"
    return None


def _check(request: Request, site: str, token: str) -> None:
    allowed = _allowed_site(request, token)
    if allowed is None:
        if token:
            raise AuthError(403, "wall link revoked or unknown")
        raise AuthError(401, "login required")
    if allowed != "*" and allowed != site:
        raise AuthError(403, "this wall link is for another site")


@router.get("/wall", response_class=HTMLResponse)
def wall_default(request: Request, token: str = "") -> Response:
    """The wall of the only site (or of the link's site); with several sites, a choice."""
    allowed = _allowed_site(request, token)
    if allowed is None:
        if token:
            raise AuthError(403, "wall link revoked or unknown")
        raise AuthError(401, "login required")
    if allowed != "*":
        return redirect(f"/wall/{allowed}?token={token}")
    codes = _snapshots(request).site_codes()
    if len(codes) == 1:
        return redirect(f"/wall/{codes[0]}")
    with session_scope(request.app.state.sessions) as s:
        sites = list(s.execute(select(Site.code, Site.name).order_by(Site.code)))
    return render(request, "wall_sites.html", env=_env, sites=sites)


@router.get("/wall/{site}", response_class=HTMLResponse)
def wall_page(request: Request, site: str, token: str = "") -> Response:
    """The dark full-screen wall of one site; the page polls ``/wall/<site>/data``."""
    _check(request, site, token)
    snaps = _snapshots(request)
    doc = snaps.snapshot(site)
    settings = request.app.state.settings
    lang = lang_of(request)
    return render(
        request,
        "wall.html",
        env=_env,
        doc=doc,
        token=token,
        poll_ms=int(settings.wall.poll_interval_s * 1000),
        texts={
            k: t(lang, k)
            for k in (
                "wall_updated",
                "wall_stale",
                "wall_no_data",
                "wall_down",
                "wall_smoke",
                "wall_alerts",
                "wall_s_ago",
                "wall_min_ago",
                "wall_h_ago",
                "wall_no_smoke",
            )
        },
    )


@router.get("/wall/{site}/data")
def wall_data(request: Request, site: str, token: str = "") -> Response:
    """The wall's current values (JSON); answers even when InfluxDB is down (``influx_ok`` false)."""
    _check(request, site, token)
    doc: dict[str, Any] = _snapshots(request).snapshot(site)
    return JSONResponse(doc, headers={"Cache-Control": "no-store"})


# ---- kiosk links -------------------------------------------------------------------------------------------------


@router.get("/wall-links", response_class=HTMLResponse)
def links_page(request: Request, who: Manager) -> Response:
    with session_scope(request.app.state.sessions) as s:
        rows = links.list_links(s)
        sites = list(s.execute(select(Site.code, Site.name).order_by(Site.code)))
        items = [
            {
                "id": x.id,
                "name": x.name,
                "site": x.site_code,
                "created": x.created_at,
                "by": x.created_by,
                "used": x.last_used_at,
                "revoked": x.revoked_at,
            }
            for x in rows
        ]
    new = request.session.pop("wall_new", None)
    return render(request, "wall_links.html", env=_env, links=items, sites=sites, new=new)


@router.post("/wall-links")
def link_create(
    request: Request, who: Manager, name: Annotated[str, Form()] = "", site: Annotated[str, Form()] = ""
) -> Response:
    try:
        with session_scope(request.app.state.sessions) as s:
            link, secret = links.create_link(s, name, site, who.actor)
            url = f"{request.app.state.settings.web.public_base_url.rstrip('/')}/wall/{link.site_code}?token={secret}"
    except RegistryError as e:
        flash_text(request, t(lang_of(request), "wall_link_invalid", why=str(e)))
        return redirect("/wall-links")
    request.session["wall_new"] = {"name": name.strip(), "url": url}
    return redirect("/wall-links")


@router.post("/wall-links/{link_id}/revoke")
def link_revoke(request: Request, link_id: int, who: Manager) -> Response:
    try:
        with session_scope(request.app.state.sessions) as s:
            links.revoke_link(s, link_id)
    except NotFound as e:
        flash_text(request, str(e))
        return redirect("/wall-links")
    flash(request, "wall_link_revoked")
    return redirect("/wall-links")
