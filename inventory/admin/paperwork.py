"""Paperwork for managers: spreadsheet import with the dry-run report in the page before committing, label
printing (by fonds, shelf, room or a selection) returning the PDF, statistics with charts, exports."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from inventory import pending_uploads
from inventory.admin.common import Manager, form_error
from inventory.charts import CHART_CSS, bar_chart
from inventory.db import session_scope
from inventory.errors import NotFound, RegistryError
from inventory.i18n import t
from inventory.labels import render_labels
from inventory.labels.source import What, label_records
from inventory.models import Box, Fonds, Room, Shelf, ShelvingUnit, Site, Slot
from inventory.spreadsheet.export import export_boxes
from inventory.spreadsheet.importer import ImportRejected, import_file
from inventory.spreadsheet.stats import fonds_stats, room_stats
from inventory.webutil import flash, lang_of, redirect, render, tx

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024
AREA = "import"  # pending_uploads: <state_dir>/uploads/import/


def _state(request: Request) -> Path:
    return Path(request.app.state.settings.state_dir)


def _fonds_list(request: Request) -> list[tuple[str, str]]:
    with tx(request) as s:
        return [(c, n) for c, n in s.execute(select(Fonds.code, Fonds.name).order_by(Fonds.code))]


# ---- import ------------------------------------------------------------------------------------------------------


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, who: Manager) -> Response:
    return render(request, "admin/import.html", form={}, report=None, fonds=_fonds_list(request))


def _run(request: Request, path: Path, form: dict[str, str], actor: str, dry_run: bool) -> Any:
    cat = form.get("catalogue", "").strip()
    with session_scope(request.app.state.sessions) as s:
        return import_file(
            s,
            path,
            actor=actor,
            fonds=form.get("fonds") or None,
            catalogue=int(cat) if cat.isdigit() else None,
            fonds_name=form.get("fonds_name") or None,
            dry_run=dry_run,
            lang=lang_of(request),
        )


@router.post("/admin/import", response_class=HTMLResponse)
async def import_check(
    request: Request,
    who: Manager,
    file: Annotated[UploadFile | None, File()] = None,
    fonds: Annotated[str, Form()] = "",
    catalogue: Annotated[str, Form()] = "",
    fonds_name: Annotated[str, Form()] = "",
) -> Response:
    """Step 1: the dry run. The file is kept under an unguessable name until it is imported or replaced."""
    form = {"fonds": fonds.strip().upper(), "catalogue": catalogue, "fonds_name": fonds_name}
    lang = lang_of(request)
    data = await file.read(MAX_UPLOAD + 1) if file is not None and file.filename else b""
    suffix = Path(file.filename or "").suffix.lower() if file is not None else ""
    if not data or suffix not in (".xlsx", ".csv") or len(data) > MAX_UPLOAD:
        err = RegistryError(t(lang, "ad_import_file"))
        return form_error(request, "admin/import.html", err, form, report=None, fonds=_fonds_list(request))
    path = pending_uploads.keep(_state(request), AREA, data, suffix)
    upload_id = path.name
    try:
        report = await run_in_threadpool(_run, request, path, form, who.actor, True)
    except ImportRejected as e:
        path.unlink(missing_ok=True)
        return render(
            request,
            "admin/import.html",
            status=400,
            form=form,
            report=e.report,
            fonds=_fonds_list(request),
            filename=file.filename if file else "",
        )
    except (RegistryError, ValueError) as e:
        path.unlink(missing_ok=True)
        return form_error(request, "admin/import.html", e, form, report=None, fonds=_fonds_list(request))
    return render(
        request,
        "admin/import.html",
        form=form,
        report=report,
        upload_id=upload_id,
        fonds=_fonds_list(request),
        filename=file.filename if file else "",
    )


@router.post("/admin/import/commit")
async def import_commit(
    request: Request,
    who: Manager,
    upload_id: Annotated[str, Form()] = "",
    fonds: Annotated[str, Form()] = "",
    catalogue: Annotated[str, Form()] = "",
    fonds_name: Annotated[str, Form()] = "",
) -> Response:
    """Step 2: the import itself, of the file that was checked (all or nothing)."""
    form = {"fonds": fonds, "catalogue": catalogue, "fonds_name": fonds_name}
    path = pending_uploads.path_of(_state(request), AREA, upload_id)
    if path is None or path.suffix not in (".xlsx", ".csv"):
        err = RegistryError(t(lang_of(request), "ad_import_again"))
        return form_error(request, "admin/import.html", err, form, report=None, fonds=_fonds_list(request))
    try:
        report = await run_in_threadpool(_run, request, path, form, who.actor, False)
    except ImportRejected as e:
        return render(request, "admin/import.html", status=400, form=form, report=e.report, fonds=_fonds_list(request))
    except (RegistryError, ValueError) as e:
        return form_error(request, "admin/import.html", e, form, report=None, fonds=_fonds_list(request))
    finally:
        path.unlink(missing_ok=True)
    flash(
        request,
        "ad_imported",
        rows=report.rows,
        boxes=report.boxes_created + report.boxes_updated,
        files=report.files_created + report.files_updated,
    )
    return redirect("/admin/import")


# ---- labels ------------------------------------------------------------------------------------------------------


def _label_choices(request: Request) -> dict[str, Any]:
    with tx(request) as s:
        rooms = list(
            s.execute(select(Room.id, Site.code, Room.code, Room.name).join(Site).order_by(Site.code, Room.code))
        )
        shelves = list(s.execute(select(Shelf.id, Shelf.code).order_by(Shelf.code).limit(2000)))
    return {"rooms": rooms, "shelves": shelves, "fonds": _fonds_list(request), "whats": [w.value for w in What]}


@router.get("/admin/labels", response_class=HTMLResponse)
def labels_page(request: Request, who: Manager) -> Response:
    return render(request, "admin/labels.html", form={}, **_label_choices(request))


def _wanted_codes(s: Any, what: What, room: str, shelf: str, selection: str) -> set[str] | None:
    """The codes to keep from the fonds' (or all) labels; None keeps everything."""
    if selection.strip():
        return {c.upper() for c in re.split(r"[\s,;]+", selection) if c}
    slot_q = (
        select(Slot.id, Slot.code, Shelf.id, Shelf.code, ShelvingUnit.code, Room.id)
        .join(Shelf, Shelf.id == Slot.shelf_id)
        .join(ShelvingUnit, ShelvingUnit.id == Shelf.unit_id)
        .join(Room, Room.id == ShelvingUnit.room_id)
    )
    if shelf.isdigit():
        slot_q = slot_q.where(Shelf.id == int(shelf))
    elif room.isdigit():
        slot_q = slot_q.where(Room.id == int(room))
    else:
        return None
    rows = list(s.execute(slot_q))
    if what is What.BOXES:
        ids = [r[0] for r in rows]
        return set(s.scalars(select(Box.code).where(Box.current_slot_id.in_(ids)))) if ids else set()
    if what is What.SLOTS:
        return {r[1] for r in rows}
    if what is What.SHELVES:
        return {r[3] for r in rows}
    if what is What.UNITS:
        return {r[4] for r in rows}
    return None


@router.post("/admin/labels")
def labels_print(
    request: Request,
    who: Manager,
    what: Annotated[str, Form()] = "boxes",
    fonds: Annotated[str, Form()] = "",
    room: Annotated[str, Form()] = "",
    shelf: Annotated[str, Form()] = "",
    selection: Annotated[str, Form()] = "",
) -> Response:
    """The labels as a PDF (A4 sheets of the configured layout)."""
    form = {"what": what, "fonds": fonds, "room": room, "shelf": shelf, "selection": selection}
    try:
        kind = What(what)
        with tx(request) as s:
            records = label_records(s, kind, fonds.strip() or None)
            keep = _wanted_codes(s, kind, room, shelf, selection)
        if keep is not None:
            records = [r for r in records if r.code.upper() in keep]
        if not records:
            raise NotFound(t(lang_of(request), "ad_no_labels"))
        out = Path(tempfile.mkstemp(prefix="kho-labels-", suffix=".pdf")[1])
        render_labels(records, request.app.state.settings.web.public_base_url, out, title="kho labels")
    except (RegistryError, ValueError) as e:
        return form_error(request, "admin/labels.html", e, form, **_label_choices(request))
    return FileResponse(
        out,
        media_type="application/pdf",
        filename=f"kho-labels-{kind.value}.pdf",
        background=BackgroundTask(out.unlink, missing_ok=True),
    )


# ---- statistics and exports --------------------------------------------------------------------------------------


@router.get("/admin/stats", response_class=HTMLResponse)
def stats_page(request: Request, who: Manager) -> Response:
    lang = lang_of(request)
    with tx(request) as s:
        fs = fonds_stats(s)
        rs = room_stats(s)
    return render(
        request,
        "admin/stats.html",
        fonds_stats=fs,
        room_stats=rs,
        css=CHART_CSS,
        fonds_chart=bar_chart(
            [(f.code, f.boxes) for f in fs], chart_id="fonds-boxes", title=t(lang, "ad_boxes_per_fonds")
        ),
        room_chart=bar_chart(
            [(f"{r.site}-{r.room}", round(r.occupancy_pct, 1)) for r in rs],
            unit=" %",
            chart_id="room-occupancy",
            title=t(lang, "ad_occupancy"),
        ),
        fonds=_fonds_list(request),
    )


@router.get("/admin/export")
def export_download(request: Request, who: Manager, fmt: str = "xlsx", fonds: str = "") -> Response:
    """The box list as a spreadsheet (XLSX or CSV), all fonds or one."""
    fmt = fmt if fmt in ("xlsx", "csv") else "xlsx"
    out = Path(tempfile.mkstemp(prefix="kho-boxes-", suffix=f".{fmt}")[1])
    with tx(request) as s:
        export_boxes(s, out, fmt, fonds=fonds.strip().upper() or None, lang=lang_of(request))
    media = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"kho-boxes{'-' + fonds.strip().upper() if fonds.strip() else ''}.{fmt}"
    return FileResponse(out, media_type=media, filename=name, background=BackgroundTask(out.unlink, missing_ok=True))
