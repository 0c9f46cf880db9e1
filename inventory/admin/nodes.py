"""Sensor nodes: register, move to another room (readings follow from that moment), status and last seen, the
firmware config download (served by ``kho.firmware_download``: inventory does not know the generators)."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from inventory import registry
from inventory.admin.common import Admin, form_error
from inventory.errors import RegistryError
from inventory.models import Room, Site
from inventory.profiles import get_profile, profile_names
from inventory.webutil import flash, redirect, render, tx

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


def _last_seen(request: Request, sites: list[str]) -> tuple[dict[str, int], bool]:
    """Last reading time per device from the history source (``app.state.history_provider``); False if it failed."""
    provider = getattr(request.app.state, "history_provider", None)
    if provider is None:
        return {}, True
    seen: dict[str, int] = {}
    try:
        for site in sites:
            for row in provider.site_latest(site, max_age_s=30 * 86400):
                if row.get("ts_ms"):
                    seen[row["device"]] = max(seen.get(row["device"], 0), int(row["ts_ms"]))
    except Exception:
        log.warning("last seen of nodes unavailable", exc_info=True)
        return seen, False
    return seen, True


def _kho_firmware(profile: str) -> bool:
    info = get_profile(profile)
    return info is not None and info.kho_firmware


def _data(request: Request) -> dict[str, Any]:
    with tx(request) as s:
        devices = registry.list_devices(s)
        rooms = [
            (f"{a}/{b}", f"{a} · {b} {n}")
            for a, b, n in s.execute(select(Site.code, Room.code, Room.name).join(Site).order_by(Site.code, Room.code))
        ]
        sites = list(s.scalars(select(Site.code)))
    seen, ok = _last_seen(request, sites)
    now = time.time() * 1000
    stale_s = request.app.state.settings.web.stale_after_s if getattr(request.app.state, "settings", None) else 600
    rows = [
        {
            "id": d.id,
            "profile": d.profile,
            "download": not _kho_firmware(d.profile),
            "topic": d.topic,
            "where": f"{d.site}/{d.room}",
            "hardware": d.hardware,
            "smoke": d.has_smoke,
            "interval": d.interval_s,
            "age_min": int((now - seen[d.id]) / 60000) if d.id in seen else None,
            "online": d.id in seen and now - seen[d.id] <= max(stale_s, 3 * d.interval_s) * 1000,
        }
        for d in devices
    ]
    return {"nodes": rows, "rooms": rooms, "profiles": list(profile_names()), "seen_ok": ok}


@router.get("/admin/nodes", response_class=HTMLResponse)
def nodes_page(request: Request, who: Admin) -> Response:
    return render(request, "admin/nodes.html", form={}, **_data(request))


@router.post("/admin/nodes")
async def node_add(request: Request, who: Admin) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    site, _, room = form.get("room", "").partition("/")
    try:
        interval = int(form.get("interval") or 60)
        with tx(request) as s:
            registry.add_device(
                s,
                form.get("id", "").strip(),
                form.get("profile", profile_names()[0]),
                site,
                room,
                topic=form.get("topic", "").strip() or None,
                hardware=form.get("hardware", "").strip(),
                has_smoke=form.get("smoke") == "1",
                interval_s=interval,
                actor=who.actor,
            )
    except (RegistryError, ValueError) as e:
        return form_error(request, "admin/nodes.html", e, form, **_data(request))
    flash(request, "ok_saved")
    return redirect("/admin/nodes")


@router.post("/admin/nodes/{device_id}/move")
async def node_move(request: Request, device_id: str, who: Admin) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    site, _, room = form.get("room", "").partition("/")
    try:
        with tx(request) as s:
            registry.move_device(s, device_id, site, room, actor=who.actor)
    except RegistryError as e:
        return form_error(request, "admin/nodes.html", e, {}, **_data(request))
    flash(request, "nd_moved", node=device_id, room=form.get("room", ""))
    return redirect("/admin/nodes")
