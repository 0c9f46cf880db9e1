"""Keeper's phone pages: label scan, box, slot, shelf, stocktake, room, search, login. Server-rendered, no JS needed."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from inventory import services as sv
from inventory.auth import Principal, require_role
from inventory.errors import NotFound, RegistryError
from inventory.i18n import t
from inventory.limits import PHOTO_MAX_BYTES, IdPath, TextQuery
from inventory.models import CleaningKind, Room, ShelvingUnit, Site, Stocktake
from inventory.photos import media_type
from inventory.providers import latest_climate, open_alerts
from inventory.webutil import flash, flash_text, lang_of, redirect, render, safe_next, tx

router = APIRouter(include_in_schema=False)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}$")
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Keeper = Annotated[Principal, Depends(require_role("keeper"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Viewer) -> Response:
    with tx(request) as s:
        rooms = list(
            s.execute(
                select(Room.id, Site.code, Room.code, Room.name)
                .join(Site, Room.site_id == Site.id)
                .order_by(Site.code, Room.code)
                .limit(200)
            )
        )
    return render(request, "home.html", carry=request.session.get("carry"), rooms=rooms)


@router.get("/photos/{box_code}/{name}")
def photo(request: Request, box_code: str, name: str, who: Viewer) -> Response:
    """A damage photo stored under ``<state_dir>/photos`` (names are ours: no path tricks)."""
    if not _SAFE_NAME.match(box_code) or not _SAFE_NAME.match(name):
        raise NotFound("no such photo")
    path = Path(request.app.state.settings.state_dir) / "photos" / box_code / name
    if not path.is_file():
        raise NotFound("no such photo")
    return FileResponse(path, media_type=media_type(name), headers={"Cache-Control": "private, max-age=86400"})


@router.get("/s/{token}")
def scan(request: Request, token: str, who: Viewer) -> Response:
    """A scanned label: the token only leads somewhere for a logged-in user."""
    with tx(request) as s:
        try:
            target = sv.resolve_label(s, token)
        except NotFound:
            return render(request, "error.html", status=404, message=t(lang_of(request), "unknown_label"))
    return redirect(f"/{target.kind}/{target.target_id}")


@router.get("/go")
def go(request: Request, who: Viewer, code: TextQuery = "") -> Response:
    """Manual code entry (the scanner fallback): a label code/URL opens its page, anything else searches."""
    with tx(request) as s:
        try:
            target = sv.resolve_label(s, code)
        except NotFound:
            from urllib.parse import quote

            return redirect(f"/search?q={quote(code)}")
    return redirect(f"/{target.kind}/{target.target_id}")


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, who: Viewer, q: TextQuery = "") -> Response:
    with tx(request) as s:
        hits = sv.search(s, q) if q.strip() else []
    return render(request, "search.html", q=q, hits=hits)


@router.get("/checkouts", response_class=HTMLResponse)
def checkouts_page(request: Request, who: Viewer) -> Response:
    """Boxes out with someone, overdue first."""
    with tx(request) as s:
        rows = sv.checked_out_boxes(s)
    return render(request, "checkouts.html", rows=rows)


# ---- box -----------------------------------------------------------------------------------------------------------


@router.get("/box/{box_id}", response_class=HTMLResponse)
def box_page(request: Request, box_id: IdPath, who: Viewer) -> Response:
    with tx(request) as s:
        view = sv.box_view(s, box_id)
    return render(
        request,
        "box.html",
        box=view,
        today=date.today().isoformat(),
        purposes=sv.CHECKOUT_PURPOSES,
        damages=sv.DAMAGE_KINDS,
        carry=request.session.get("carry"),
    )


@router.post("/box/{box_id}/move")
def box_move(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    slot: Annotated[str, Form()],
    version: Annotated[int | None, Form()] = None,
    set_home: Annotated[bool, Form()] = False,
) -> Response:
    with tx(request) as s:
        box = sv.get_box(s, box_id)
        ev = sv.place_box(s, box, slot, who.actor, set_home=set_home or None, expected_version=version)
        code, target = box.code, sv.get_slot(s, ev.to_slot_id or 0).code
    request.session.pop("carry", None)
    flash(request, "ok_moved", code=code, slot=target)
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/carry")
def box_carry(request: Request, box_id: IdPath, who: Keeper, version: Annotated[int | None, Form()] = None) -> Response:
    """Remember the box the keeper holds; the next slot page offers "place box X here"."""
    with tx(request) as s:
        box = sv.get_box(s, box_id)
        request.session["carry"] = {"id": box.id, "code": box.code, "version": box.version}
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/checkout")
def box_checkout(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    custodian: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "reading_room",
    due_back: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    due = _parse_date(due_back)
    with tx(request) as s:
        sv.check_out(
            s,
            sv.get_box(s, box_id),
            custodian,
            purpose,
            who.actor,
            due_back=due,
            reason=reason,
            expected_version=version,
        )
    flash(request, "ok_saved")
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/return")
def box_return(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    slot: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    with tx(request) as s:
        sv.return_box(s, sv.get_box(s, box_id), who.actor, slot_ref=slot or None, expected_version=version)
    flash(request, "ok_saved")
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/damage")
async def box_damage(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    kind: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
    version: Annotated[int | None, Form()] = None,
) -> Response:
    # One byte over the limit is enough to refuse it: a huge upload is not read into memory.
    data = await photo.read(PHOTO_MAX_BYTES + 1) if photo is not None and photo.filename else None
    ctype = photo.content_type or "" if photo is not None else ""
    from starlette.concurrency import run_in_threadpool

    def work() -> None:
        with tx(request) as s:
            sv.report_damage(
                s,
                sv.get_box(s, box_id),
                kind,
                who.actor,
                note=note,
                photo=data,
                photo_type=ctype,
                state_dir=request.app.state.settings.state_dir,
                expected_version=version,
            )

    await run_in_threadpool(work)
    flash(request, "ok_saved")
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/cleaned")
def box_cleaned(
    request: Request, box_id: IdPath, who: Keeper, version: Annotated[int | None, Form()] = None
) -> Response:
    with tx(request) as s:
        sv.mark_cleaned(s, sv.get_box(s, box_id), who.actor, expected_version=version)
    flash(request, "ok_saved")
    return redirect(f"/box/{box_id}")


def _parse_date(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RegistryError(f"invalid date {value!r}: use YYYY-MM-DD") from None


# ---- slot, shelf, unit -------------------------------------------------------------------------------------------


@router.get("/slot/{slot_id}", response_class=HTMLResponse)
def slot_page(request: Request, slot_id: IdPath, who: Viewer) -> Response:
    with tx(request) as s:
        view = sv.slot_view(s, slot_id)
    return render(request, "slot.html", slot=view, carry=request.session.get("carry"))


@router.post("/slot/{slot_id}/place")
def slot_place(
    request: Request,
    slot_id: IdPath,
    who: Keeper,
    box: Annotated[int, Form()],
    version: Annotated[int | None, Form()] = None,
    set_home: Annotated[bool, Form()] = False,
) -> Response:
    with tx(request) as s:
        b = sv.get_box(s, box)
        sv.place_box(s, b, slot_id, who.actor, set_home=set_home or None, expected_version=version)
        code, target = b.code, sv.get_slot(s, slot_id).code
    request.session.pop("carry", None)
    flash(request, "ok_moved", code=code, slot=target)
    return redirect(f"/box/{box}")


@router.get("/shelf/{shelf_id}", response_class=HTMLResponse)
def shelf_page(request: Request, shelf_id: IdPath, who: Viewer) -> Response:
    with tx(request) as s:
        view = sv.shelf_view(s, shelf_id)
    return render(request, "shelf.html", shelf=view)


@router.get("/unit/{unit_id}")
def unit_page(request: Request, unit_id: IdPath, who: Viewer) -> Response:
    with tx(request) as s:
        unit = s.get(ShelvingUnit, unit_id)
        if unit is None:
            raise NotFound(f"no shelving unit {unit_id}")
        room_id = unit.room_id
    return redirect(f"/room/{room_id}#u{unit_id}")


# ---- stocktake ---------------------------------------------------------------------------------------------------


@router.post("/shelf/{shelf_id}/stocktake")
def stocktake_start(request: Request, shelf_id: IdPath, who: Keeper) -> Response:
    with tx(request) as s:
        st = sv.start_stocktake(s, shelf_id, who.actor)
        st_id = st.id
    return redirect(f"/stocktake/{st_id}")


@router.get("/stocktake/{st_id}", response_class=HTMLResponse)
def stocktake_page(request: Request, st_id: IdPath, who: Viewer) -> Response:
    with tx(request) as s:
        res = sv.stocktake_result(s, st_id)
        scanned = len(s.get_one(Stocktake, st_id).scans)
    return render(request, "stocktake.html", st=res, scanned=scanned)


@router.post("/stocktake/{st_id}/scan")
def stocktake_scan(request: Request, st_id: IdPath, who: Keeper, label: Annotated[str, Form()]) -> Response:
    with tx(request) as s:
        scan = sv.scan_box(s, st_id, label)
        if scan.box_id is None:
            flash_text(request, f"{t(lang_of(request), 'unknown')}: {scan.raw}", "warn")
    return redirect(f"/stocktake/{st_id}")


@router.post("/stocktake/{st_id}/confirm")
def stocktake_confirm(request: Request, st_id: IdPath, who: Keeper) -> Response:
    with tx(request) as s:
        sv.confirm_stocktake(s, st_id, who.actor)
    flash(request, "confirmed")
    return redirect(f"/stocktake/{st_id}")


# ---- room, cleaning tasks ----------------------------------------------------------------------------------------


@router.get("/room/{room_id}", response_class=HTMLResponse)
def room_page(request: Request, room_id: IdPath, who: Viewer) -> Response:
    with tx(request) as s:
        view = sv.room_view(s, room_id)
        tasks = sv.open_tasks_for_room(s, room_id)
    climate = latest_climate(request.app.state, [room_id]).get(room_id)
    alerts = open_alerts(request.app.state, room_id)
    return render(
        request,
        "room.html",
        room=view,
        climate=climate,
        alerts=alerts,
        tasks=tasks,
        kinds=[k.value for k in CleaningKind],
    )


@router.post("/room/{room_id}/schedule")
def room_schedule(
    request: Request,
    room_id: IdPath,
    who: Manager,
    kind: Annotated[str, Form()],
    recurrence: Annotated[str, Form()],
    unit: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
) -> Response:
    """A manager adds a cleaning schedule for the room (or one of its shelving units)."""
    with tx(request) as s:
        room = s.get(Room, room_id)
        if room is None:
            raise NotFound(f"no room {room_id}")
        if unit:
            sv.create_schedule(
                s, kind=kind, recurrence=recurrence, actor=who.actor, unit_code=unit, assignee=assignee.strip()
            )
        else:
            sv.create_schedule(
                s,
                kind=kind,
                recurrence=recurrence,
                actor=who.actor,
                site_code=room.site.code,
                room_code=room.code,
                assignee=assignee.strip(),
            )
    flash(request, "ok_saved")
    return redirect(f"/room/{room_id}")


@router.post("/task/{task_id}/done")
def task_done(
    request: Request,
    task_id: IdPath,
    who: Keeper,
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    with tx(request) as s:
        sv.complete_task(s, task_id, who.actor, note)
    flash(request, "ok_saved")
    return redirect(safe_next(back))


@router.post("/room/{room_id}/label")
def room_label(request: Request, room_id: IdPath, who: Manager) -> Response:
    """Make sure the room has a label token (rooms come from the registry) and show its page (a POST: it writes)."""
    with tx(request) as s:
        room = s.get(Room, room_id)
        if room is None:
            raise NotFound(f"no room {room_id}")
        sv.ensure_room_label(s, room)
    return RedirectResponse(f"/room/{room_id}", status_code=303)
