"""Retention-table pages (desk): the tables with their rule counts, a table's rules, and the import — upload, dry
run (rows read, rows refused with their number and reason), confirmation. The checked file waits under the state
directory, named by an unguessable id that only the session which checked it can confirm; what is confirmed is
the table and organisation that were checked, not fields sent again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from inventory import pending_uploads
from inventory.archival import orgs
from inventory.archival import retention as rt
from inventory.archival.messages import error_words
from inventory.auth import Principal, require_role
from inventory.errors import RegistryError
from inventory.i18n import t
from inventory.webutil import flash, lang_of, redirect, render, status_of, tx

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]  # as POST /api/archival/retention

PENDING = "ar_retention"  # the session's checked upload: {"id", "table", "organisation", "filename"}
PREVIEW = 20


AREA = "retention"


def _state(request: Request) -> Path:
    return Path(request.app.state.settings.state_dir)


def _pending_id(request: Request) -> str:
    pending = request.session.get(PENDING)
    return str(pending.get("id", "")) if isinstance(pending, dict) else ""


def _drop_pending(request: Request) -> None:
    pending_uploads.forget(_state(request), AREA, _pending_id(request))
    request.session.pop(PENDING, None)


def _page(request: Request, who: Principal, status: int = 200, **ctx: Any) -> Response:
    with tx(request) as s:
        mine = orgs.organisation_of_actor(s, who.actor)
        choices = [(o.code, o.name) for o in orgs.list_organisations(s) if mine is None or o.id == mine]
        tables = rt.list_tables(s)
    ctx.setdefault("form", {"table": "", "organisation": choices[0][0] if mine is not None and choices else ""})
    return render(
        request,
        "archival/retention.html",
        status=status,
        tables=tables,
        choices=choices,
        shared_allowed=mine is None,
        max_mb=rt.MAX_BYTES // (1024 * 1024),
        **ctx,
    )


@router.get("/archival/retention", response_class=HTMLResponse)
def retention_page(request: Request, who: Viewer) -> Response:
    return _page(request, who)


@router.get("/archival/retention/table", response_class=HTMLResponse)
def retention_table(request: Request, who: Viewer, name: str = "") -> Response:
    with tx(request) as s:
        rules = [(r.code, r.title, r.years) for r in rt.table_rules(s, name)]
        info = next((i for i in rt.list_tables(s) if i.name == name.strip()), None)
    return render(request, "archival/retention_table.html", name=name.strip(), rules=rules, info=info)


@router.post("/archival/retention", response_class=HTMLResponse)
async def retention_check(
    request: Request,
    who: Manager,
    file: Annotated[UploadFile | None, File()] = None,
    table: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    """Step 1: the dry run. Nothing is written to the tables; a file that passes waits for the confirmation."""
    lang = lang_of(request)
    form = {"table": table.strip(), "organisation": organisation.strip().upper()}
    filename = (file.filename or "") if file is not None else ""
    suffix = Path(filename).suffix.lower()
    data = await file.read(rt.MAX_BYTES + 1) if file is not None and filename else b""
    problem = ""
    if not filename:
        problem = t(lang, "ar_rt_choose_file")
    elif suffix not in rt.SUFFIXES:
        problem = t(lang, "ar_rt_bad_type")
    elif len(data) > rt.MAX_BYTES:
        problem = t(lang, "ar_rt_too_big", mb=rt.MAX_BYTES // (1024 * 1024))
    if problem:
        return _page(request, who, 422, form=form, error=problem)

    def check() -> rt.TableCheck:
        with tx(request) as s:
            return rt.check_retention_table(
                s, form["table"], data, filename, organisation=form["organisation"] or None, actor=who.actor
            )

    try:
        result = await run_in_threadpool(check)
    except RegistryError as e:
        status = status_of(e) if status_of(e) in (403, 404) else 422
        return _page(request, who, status, form=form, error=error_words(lang, e))
    _drop_pending(request)
    refused = [(r.row, t(lang, r.key, r.message, **r.params)) for r in result.refused]
    ctx: dict[str, Any] = {"form": form, "result": result, "refused": refused, "filename": filename}
    ctx["preview"] = [(r["code"], r["title"], r["years"]) for r in result.rules[:PREVIEW]]
    if refused:
        return _page(request, who, 422, error=t(lang, "ar_rt_refused", n=len(refused)), **ctx)
    upload_id = pending_uploads.keep(_state(request), AREA, data, suffix).name
    request.session[PENDING] = {
        "id": upload_id,
        "table": result.table_name,
        "organisation": form["organisation"],
        "filename": filename[:200],
    }
    return _page(request, who, upload_id=upload_id, **ctx)


@router.post("/archival/retention/confirm", response_class=HTMLResponse)
def retention_confirm(request: Request, who: Manager, upload_id: Annotated[str, Form()] = "") -> Response:
    """Step 2: import the file that was checked (all or nothing), into the table it was checked for."""
    lang = lang_of(request)
    pending = request.session.get(PENDING)
    path = pending_uploads.path_of(_state(request), AREA, upload_id)
    if not isinstance(pending, dict) or path is None or pending.get("id") != upload_id:
        return _page(request, who, 422, error=t(lang, "ar_rt_again"))
    form = {"table": str(pending.get("table", "")), "organisation": str(pending.get("organisation", ""))}
    try:
        with tx(request) as s:
            n = rt.import_retention_table(
                s,
                form["table"],
                path.read_bytes(),
                str(pending.get("filename", "")),
                organisation=form["organisation"] or None,
                actor=who.actor,
            )
    except RegistryError as e:
        _drop_pending(request)
        status = status_of(e) if status_of(e) in (403, 404, 409) else 422
        return _page(request, who, status, form=form, error=error_words(lang, e))
    _drop_pending(request)
    flash(request, "ar_rt_imported", n=n, table=form["table"])
    return redirect(f"/archival/retention/table?name={quote(form['table'], safe='')}")
