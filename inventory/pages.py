"""Keeper's phone pages: label scan, box, slot, shelf, stocktake, room, search, login. Server-rendered, no JS needed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from inventory import climate_view
from inventory import services as sv
from inventory.admin.cleaning import recurrence_of
from inventory.auth import Principal, require_role
from inventory.errors import NotFound, RegistryError
from inventory.i18n import t
from inventory.limits import PHOTO_MAX_BYTES, IdPath, TextQuery
from inventory.models import CleaningKind, Room, ShelvingUnit, Site, Slot, Stocktake
from inventory.photos import media_type
from inventory.providers import latest_climate, open_alerts
from inventory.webutil import error_text, flash, flash_text, lang_of, redirect, render, safe_next, status_of, tx

router = APIRouter(include_in_schema=False)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}$")
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Keeper = Annotated[Principal, Depends(require_role("keeper"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]


def _tr(request: Request) -> Callable[..., str]:
    lang = lang_of(request)
    return lambda key, default=None, **kw: t(lang, key, default, **kw)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Viewer) -> Response:
    """Scan or type a code, and what to do today: cleaning due, open alerts, overdue loans, missing boxes and boxes
    to re-shelve."""
    with tx(request) as s:
        rooms = list(
            s.execute(
                select(Room.id, Site.code, Room.code, Room.name)
                .join(Site, Room.site_id == Site.id)
                .order_by(Site.code, Room.code)
                .limit(200)
            )
        )
        today = sv.today_view(s, who.username if who.kind == "user" else "")
    alerts = []
    for room_id, site, code, name in rooms[:50]:
        for a in open_alerts(request.app.state, room_id) or []:
            alerts.append({**a, "room_id": room_id, "room": f"{site}-{code} · {name}"})
    return render(request, "home.html", carry=request.session.get("carry"), rooms=rooms, today=today, alerts=alerts)


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
def search_page(request: Request, who: Viewer, q: TextQuery = "", page: str = "1") -> Response:
    """Results with their count, a page at a time; missing, misplaced, checked-out and to-be-reshelved boxes
    marked."""
    with tx(request) as s:
        res = sv.search_page(s, q, int(page) if page.isdigit() else 1)
    return render(request, "search.html", q=q, res=res, hits=res.hits)


@router.get("/checkouts", response_class=HTMLResponse)
def checkouts_page(request: Request, who: Viewer) -> Response:
    """Boxes out with someone, overdue first."""
    with tx(request) as s:
        rows = sv.checked_out_boxes(s)
    return render(request, "checkouts.html", rows=rows)


# ---- box -----------------------------------------------------------------------------------------------------------


def _box_page(
    request: Request,
    box_id: int,
    *,
    status: int = 200,
    form: str = "",
    values: dict[str, object] | None = None,
    err: RegistryError | None = None,
    fallback: str = "err_generic",
) -> Response:
    """The box page; after a refused action it is shown again with the form open, the input kept and the message
    beside its field (or at the top of the form), in the page's language."""
    with tx(request) as s:
        view = sv.box_view(s, box_id)
        room_class = sv.room_climate_class(s, view.current.room_id) if view.current else ""
        box_cv = (
            climate_view.box_climate(request.app.state, _tr(request), s, box_id, view.current.room_id)
            if view.current is not None
            else None
        )
    message = error_text(lang_of(request), err, fallback) if err is not None else ""
    return render(
        request,
        "box.html",
        status=status,
        box=view,
        today=date.today().isoformat(),
        purposes=sv.CHECKOUT_PURPOSES,
        damages=sv.DAMAGE_KINDS,
        conditions=sv.CONDITIONS,
        carry=request.session.get("carry"),
        form=form,
        values=values or {},
        error=message,
        error_field=err.field if err is not None else "",
        detail=str(err) if err is not None else "",
        room_class=room_class,
        box_cv=box_cv,
    )


def _refused(request: Request, box_id: int, form: str, err: RegistryError, values: dict[str, object]) -> Response:
    # A clash with someone else's move shows the box as it is now; other errors keep the keeper's input.
    stale = err.key in ("err_conflict_by", "err_changed")
    return _box_page(
        request, box_id, status=status_of(err), form="" if stale else form, values={} if stale else values, err=err
    )


@router.get("/box/{box_id}", response_class=HTMLResponse)
def box_page(request: Request, box_id: IdPath, who: Viewer) -> Response:
    return _box_page(request, box_id)


def _moved(slot: Slot, box_code: str, media: str) -> tuple[str, str, str, str, str]:
    room = slot.shelf.unit.room
    return box_code, slot.code, media, room.name, room.climate_class


def _moved_message(request: Request, moved: tuple[str, str, str, str, str]) -> None:
    """ "Đã chuyển hộp X vào Y", with a warning when the box's media does not suit the room's climate class."""
    code, slot, media, room, climate_class = moved
    lang = lang_of(request)
    text = t(lang, "ok_moved", code=code, slot=slot)
    if sv.media_suits(media, climate_class):
        flash_text(request, text, "ok")
        return
    media_name, cls = t(lang, f"m_{media}", media), t(lang, f"cc_{climate_class}", climate_class)
    flash_text(request, text + ". " + t(lang, "warn_climate", media=media_name, room=room, cls=cls), "warn")


@router.post("/box/{box_id}/move")
def box_move(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    slot: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
    set_home: Annotated[bool, Form()] = False,
) -> Response:
    try:
        with tx(request) as s:
            box = sv.get_box(s, box_id)
            ev = sv.place_box(s, box, slot, who.actor, set_home=set_home or None, expected_version=version)
            moved = _moved(sv.get_slot(s, ev.to_slot_id or 0), box.code, box.media)
    except RegistryError as e:
        return _refused(request, box_id, "move", e, {"slot": slot, "set_home": set_home})
    request.session.pop("carry", None)
    _moved_message(request, moved)
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/carry")
def box_carry(request: Request, box_id: IdPath, who: Keeper, version: Annotated[int | None, Form()] = None) -> Response:
    """Remember the box the keeper holds; the next slot page offers "place box X here"."""
    with tx(request) as s:
        box = sv.get_box(s, box_id)
        request.session["carry"] = {"id": box.id, "code": box.code, "version": box.version}
    flash(request, "carrying", "warn", code=box.code)
    return redirect(f"/box/{box_id}")


@router.post("/carry/cancel")
def carry_cancel(request: Request, who: Keeper, back: Annotated[str, Form()] = "/") -> Response:
    """Put down the box being carried (nothing is recorded)."""
    carry = request.session.pop("carry", None)
    if carry:
        flash(request, "carry_cancelled", code=carry.get("code", ""))
    return redirect(safe_next(back))


@router.post("/box/{box_id}/checkout")
def box_checkout(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    custodian: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "reading_room",
    due_back: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    values: dict[str, object] = {"custodian": custodian, "purpose": purpose, "due_back": due_back, "reason": reason}
    try:
        due = _parse_date(due_back)
        with tx(request) as s:
            box = sv.get_box(s, box_id)
            sv.check_out(s, box, custodian, purpose, who.actor, due_back=due, reason=reason, expected_version=version)
            code = box.code
    except RegistryError as e:
        return _refused(request, box_id, "checkout", e, values)
    flash(request, "ok_checked_out", code=code, custodian=custodian.strip())
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/return")
def box_return(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    slot: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        with tx(request) as s:
            box = sv.get_box(s, box_id)
            ev = sv.return_box(s, box, who.actor, slot_ref=slot or None, expected_version=version)
            code, to = box.code, (sv.get_slot(s, ev.to_slot_id).code if ev.to_slot_id else "")
    except RegistryError as e:
        return _refused(request, box_id, "return", e, {"slot": slot})
    if to:
        flash(request, "ok_returned_to", code=code, slot=to)
    else:
        flash(request, "ok_returned", code=code)
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/damage")
async def box_damage(
    request: Request,
    box_id: IdPath,
    who: Keeper,
    kind: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
    version: Annotated[int | None, Form()] = None,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    values: dict[str, object] = {"kind": kind, "note": note}
    data = None
    if photo is not None and photo.filename:
        # Read one byte past the limit: an oversized photo is refused without holding all of it in memory.
        data = await photo.read(PHOTO_MAX_BYTES + 1)
    ctype = photo.content_type or "" if photo is not None else ""

    def work() -> str:
        with tx(request) as s:
            box = sv.get_box(s, box_id)
            sv.report_damage(
                s,
                box,
                kind,
                who.actor,
                note=note,
                photo=data,
                photo_type=ctype,
                state_dir=request.app.state.settings.state_dir,
            )
            return box.code

    try:
        code = await run_in_threadpool(work)
    except RegistryError as e:
        return await run_in_threadpool(_refused, request, box_id, "damage", e, values)
    flash(request, "ok_damage", code=code)
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/cleaned")
def box_cleaned(
    request: Request, box_id: IdPath, who: Keeper, version: Annotated[int | None, Form()] = None
) -> Response:
    with tx(request) as s:
        box = sv.get_box(s, box_id)
        sv.mark_cleaned(s, box, who.actor)
        code = box.code
    flash(request, "ok_cleaned", code=code)
    return redirect(f"/box/{box_id}")


@router.post("/box/{box_id}/inspect")
def box_inspect(
    request: Request,
    box_id: int,
    who: Keeper,
    condition: Annotated[str, Form()] = "good",
    note: Annotated[str, Form()] = "",
) -> Response:
    """An inspection or a treatment: the condition found (``good`` clears a damage mark) and a note."""
    try:
        if condition not in sv.CONDITIONS:
            raise RegistryError(f"unknown condition {condition!r}", key="err_condition", field="condition")
        with tx(request) as s:
            box = sv.get_box(s, box_id)
            sv.inspect_box(s, box, who.actor, condition=condition, note=note)
            code = box.code
    except RegistryError as e:
        return _refused(request, box_id, "inspect", e, {"condition": condition, "note": note})
    flash(request, "ok_inspected", code=code)
    return redirect(f"/box/{box_id}")


def _parse_date(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RegistryError(f"invalid date {value!r}: use YYYY-MM-DD", key="err_bad_date", field="due_back") from None


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
    try:
        with tx(request) as s:
            b = sv.get_box(s, box)
            sv.place_box(s, b, slot_id, who.actor, set_home=set_home or None, expected_version=version)
            moved = _moved(sv.get_slot(s, slot_id), b.code, b.media)
    except RegistryError as e:
        with tx(request) as s:
            view = sv.slot_view(s, slot_id)
        return render(
            request,
            "slot.html",
            status=status_of(e),
            slot=view,
            carry=request.session.get("carry"),
            error=error_text(lang_of(request), e),
            detail=str(e),
        )
    request.session.pop("carry", None)
    _moved_message(request, moved)
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


def _stocktake_context(request: Request, st_id: int) -> dict[str, Any]:
    with tx(request) as s:
        res = sv.stocktake_result(s, st_id)
        st = s.get_one(Stocktake, st_id)
        scanned = len(st.scans)
        slots = [(sl.id, sl.code) for sl in st.shelf.slots]
    return {"st": res, "scanned": scanned, "shelf_slots": slots}


@router.get("/stocktake/{st_id}", response_class=HTMLResponse)
def stocktake_page(request: Request, st_id: IdPath, who: Viewer) -> Response:
    return render(request, "stocktake.html", **_stocktake_context(request, st_id))


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/stocktake/{st_id}/scan")
def stocktake_scan(request: Request, st_id: IdPath, who: Keeper, label: Annotated[str, Form()] = "") -> Response:
    """One scan. The page's script posts in the background (JSON answer: the tick, the count and the result
    lists); without JavaScript the form posts and the page comes back with the same message."""
    lang = lang_of(request)
    try:
        with tx(request) as s:
            out = sv.record_scan(s, st_id, label)
    except RegistryError as e:
        if _wants_json(request):
            return JSONResponse({"ok": False, "text": error_text(lang, e)}, status_code=status_of(e))
        flash_text(request, error_text(lang, e), "error")
        return redirect(f"/stocktake/{st_id}")
    if out.duplicate:
        text, kind = t(lang, "scan_duplicate", code=out.code), "warn"
    else:
        text = t(lang, f"scan_{out.status}", code=out.code, slot=out.belongs_at)
        kind = {"found": "ok", "unknown": "error", "not_a_box": "error"}.get(out.status, "warn")
    if not _wants_json(request):
        flash_text(request, text, kind)
        return redirect(f"/stocktake/{st_id}")
    ctx = _stocktake_context(request, st_id)
    html = bytes(render(request, "_stocktake_result.html", **ctx).body).decode()
    return JSONResponse(
        {
            "ok": True,
            "status": out.status,
            "duplicate": out.duplicate,
            "code": out.code,
            "kind": kind,
            "text": text,
            "scanned": out.scanned,
            "html": html,
        }
    )


@router.post("/stocktake/{st_id}/confirm")
async def stocktake_confirm(request: Request, st_id: IdPath, who: Keeper) -> Response:
    """Confirm with the keeper's choice for each misplaced box: ``place-<box id>`` is "reshelve" or "here" (then
    ``place-<box id>-slot`` is the slot id on this shelf)."""
    form = await request.form()
    decisions: dict[int, str | int] = {}
    for key, value in form.multi_items():
        if key.startswith("place-") and key[6:].isdigit():
            slot = str(form.get(f"{key}-slot") or "")
            decisions[int(key[6:])] = int(slot) if value == "here" and slot.isdigit() else sv.RESHELVE
    from starlette.concurrency import run_in_threadpool

    def work() -> Response:
        try:
            with tx(request) as s:
                res = sv.confirm_stocktake(s, st_id, who.actor, decisions)
        except RegistryError as e:
            ctx = _stocktake_context(request, st_id)
            return render(
                request,
                "stocktake.html",
                status=status_of(e),
                error=error_text(lang_of(request), e),
                detail=str(e),
                **ctx,
            )
        n = res.summary()
        flash(request, "confirmed_summary", found=n["found"], missing=n["missing"], misplaced=n["misplaced"])
        return redirect(f"/stocktake/{st_id}")

    return await run_in_threadpool(work)


# ---- room, cleaning tasks ----------------------------------------------------------------------------------------


@router.get("/room/{room_id}", response_class=HTMLResponse)
def room_page(request: Request, room_id: IdPath, who: Viewer, period: str = "24h") -> Response:
    return _room_page(request, room_id, period)


def _room_page(request: Request, room_id: int, period: str = "24h", **form: Any) -> HTMLResponse:
    """The room with its climate over ``period``; ``form`` (values, error) re-shows a refused schedule form."""
    with tx(request) as s:
        view = sv.room_view(s, room_id)
        tasks = sv.open_tasks_for_room(s, room_id)
        cv = climate_view.room_climate(request.app.state, _tr(request), s, room_id, period)
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
        cv=cv,
        **form,
    )


@router.post("/room/{room_id}/schedule")
def room_schedule(
    request: Request,
    room_id: IdPath,
    who: Manager,
    kind: Annotated[str, Form()],
    recurrence: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    how: Annotated[str, Form()] = "",
    weekday: Annotated[str, Form()] = "",
    monthday: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "",
    hour: Annotated[str, Form()] = "",
) -> Response:
    """A manager adds a cleaning schedule for the room (or one of its shelving units): ``recurrence`` as
    the scheduler reads it, or the page's plain choice (``how`` daily|weekly|monthly|every …)."""
    plain = {"how": how, "weekday": weekday, "monthday": monthday, "days": days, "hour": hour}
    try:
        rule = recurrence or recurrence_of(plain)
        with tx(request) as s:
            room = s.get(Room, room_id)
            if room is None:
                raise NotFound(f"no room {room_id}")
            if unit:
                sv.create_schedule(
                    s, kind=kind, recurrence=rule, actor=who.actor, unit_code=unit, assignee=assignee.strip()
                )
            else:
                sv.create_schedule(
                    s,
                    kind=kind,
                    recurrence=rule,
                    actor=who.actor,
                    site_code=room.site.code,
                    room_code=room.code,
                    assignee=assignee.strip(),
                )
    except NotFound:
        raise
    except (RegistryError, ValueError) as e:
        values = {"kind": kind, "recurrence": recurrence, "unit": unit, "assignee": assignee, **plain}
        if isinstance(e, RegistryError):
            message, detail, code = error_text(lang_of(request), e, "err_schedule"), str(e), status_of(e)
        else:
            message, detail, code = f"{t(lang_of(request), 'cl_how')}: {e}", str(e), 400
        resp = _room_page(request, room_id, form="schedule", values=values, error=message, detail=detail)
        resp.status_code = code
        return resp
    flash(request, "ok_schedule")
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
    flash(request, "ok_task_done")
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
