"""Archival pages: the overview (organisations, batches), the due list (desk), a batch with two-sided scanning
(phone), its documents, a reorganisation's reconciliation, and a destruction file with its scanned documents.
Server-rendered; scanning errors come back as a message on the batch page with the typed code kept, a refused scan
as the destruction page again with the reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from inventory.archival import backlog as bl
from inventory.archival import destruction as de
from inventory.archival import destruction_documents as dd
from inventory.archival import orgs
from inventory.archival import reorganisation as ro
from inventory.archival import transfers as tr
from inventory.archival.api import StepIn, apply_step, archival_settings, document_download, document_response
from inventory.archival.api import destruction_pdf as api_destruction_pdf
from inventory.archival.batch_import import import_batch
from inventory.archival.due import due_files, due_summary
from inventory.archival.messages import error_words, localise
from inventory.archival.models import DestructionReview, Reorganisation, TransferBatch
from inventory.auth import Principal, require_role
from inventory.errors import RegistryError
from inventory.i18n import t
from inventory.models import Fonds
from inventory.webutil import flash, flash_text, lang_of, redirect, render, status_of, tx

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Keeper = Annotated[Principal, Depends(require_role("keeper"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]


@router.get("/archival", response_class=HTMLResponse)
def index(request: Request, who: Viewer) -> Response:
    with tx(request) as s:
        organisations = orgs.list_organisations(s)
        mine = orgs.organisation_of_actor(s, who.actor)
        batches = [
            (b.id, b.code, b.state, b.sender.name, b.receiver.name, b.title) for b in tr.batches_for(s, who.actor)
        ]
        org_rows = [(o.code, o.name, o.kind) for o in organisations]
        deadlines = de.record_deadlines(s, date.today(), archival_settings(request))
        reorgs = [
            (r.id, r.decision, r.decided_on, r.kind)
            for r in s.scalars(select(Reorganisation).order_by(Reorganisation.id.desc()).limit(50))
        ]
        reviews = [
            (r.id, r.code, r.state, r.organisation.name)
            for r in s.scalars(select(DestructionReview).order_by(DestructionReview.id.desc()).limit(50))
            if mine is None or r.organisation_id == mine
        ]
    return render(
        request,
        "archival/index.html",
        organisations=org_rows,
        batches=batches,
        mine=mine,
        year=date.today().year,
        deadlines=deadlines,
        reviews=reviews,
        reorgs=reorgs,
    )


@router.get("/archival/due", response_class=HTMLResponse)
def due_page(request: Request, who: Viewer, org: str = "", year: int | None = None) -> Response:
    today = date.today()
    year = year or today.year
    with tx(request) as s:
        organisations = [(o.code, o.name) for o in orgs.list_organisations(s)]
        files = []
        name = ""
        if org:
            o = orgs.get_organisation(s, org)
            name = o.name
            files = due_files(s, o, year, today, archival_settings(request))
    return render(
        request,
        "archival/due.html",
        organisations=organisations,
        org=org.upper(),
        org_name=name,
        year=year,
        files=files[:2000],
        summary=due_summary(files),
    )


@router.post("/archival/batches")
def create_batch(
    request: Request,
    who: Keeper,
    sender: Annotated[str, Form()],
    receiver: Annotated[str, Form()],
    fonds: Annotated[str, Form()] = "",
    catalogue: Annotated[str, Form()] = "",
    boxes: Annotated[str, Form()] = "",
    due_year: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
) -> Response:
    try:
        with tx(request) as s:
            b = tr.create_batch(s, sender, receiver, who.actor, title=title, legal_basis=legal_basis)
            codes = [c for c in boxes.split() if c.strip()]
            due = int(due_year) if due_year.strip().isdigit() else None
            if fonds.strip() or codes or due:
                cat = int(catalogue) if catalogue.strip().isdigit() else None
                n = tr.select_boxes(
                    s,
                    b,
                    who.actor,
                    fonds=fonds or None,
                    catalogue=cat,
                    box_codes=codes or None,
                    due_year=due,
                    cfg=archival_settings(request),
                )
                flash(request, "ar_added", n=n)
            bid = b.id
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
        return redirect("/archival")
    return redirect(f"/archival/batches/{bid}")


@router.post("/archival/batches/import")
async def import_batch_page(request: Request, who: Keeper) -> Response:
    form = await request.form()
    upload = form.get("file")
    try:
        if upload is None or isinstance(upload, str):
            raise RegistryError(t(lang_of(request), "ar_attach_file"))
        data = await upload.read()
        with tx(request) as s:
            b = import_batch(
                s,
                str(form.get("sender", "")),
                str(form.get("receiver", "")),
                data,
                who.actor,
                title=str(form.get("title", "")),
            )
            bid = b.id
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
        return redirect("/archival")
    return redirect(f"/archival/batches/{bid}")


def _batch_page(request: Request, batch_id: int, who: Principal, **extra: object) -> Response:
    with tx(request) as s:
        b = tr.get_batch(s, batch_id)
        tr.ensure_party(s, b, who.actor)
        mine = orgs.organisation_of_actor(s, who.actor)
        ctx: dict[str, Any] = {
            **extra,
            "b": b,
            "sender": b.sender.name,
            "receiver": b.receiver.name,
            "rep": tr.batch_report(s, b),
            "totals": tr.batch_totals(s, b),
            "problems": tr.check_batch(s, b)[:200],
            "can_out": mine in (None, b.sender_id),
            "can_in": mine in (None, b.receiver_id),
        }
        return render(request, "archival/batch.html", **ctx)


@router.get("/archival/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: int, who: Viewer) -> Response:
    return _batch_page(request, batch_id, who)


@router.post("/archival/batches/{batch_id}/scan")
def batch_scan(
    request: Request,
    batch_id: int,
    who: Keeper,
    side: Annotated[str, Form()],
    label: Annotated[str, Form()] = "",
    slot: Annotated[str, Form()] = "",
) -> Response:
    try:
        with tx(request) as s:
            res = tr.scan(s, tr.get_batch(s, batch_id), side, label, who.actor, slot=slot.strip() or None)
    except RegistryError as e:
        # Keep what was typed: the keeper corrects the code instead of scanning again.
        flash_text(request, localise(str(e), lang_of(request)))
        return _batch_page(request, batch_id, who, typed=label, typed_slot=slot, typed_side=side)
    kind = {"ok": "ok", "again": "warn", "unexpected": "error"}[res.status]
    flash(request, f"ar_scan_{res.status}", kind, code=res.box_code)
    return redirect(f"/archival/batches/{batch_id}#scan-{side}")


@router.post("/archival/batches/{batch_id}/unexpected")
def batch_unexpected(
    request: Request, batch_id: int, who: Keeper, box: Annotated[str, Form()], accept: Annotated[str, Form()] = ""
) -> Response:
    try:
        with tx(request) as s:
            tr.resolve_unexpected(s, tr.get_batch(s, batch_id), box, accept == "1", who.actor)
        flash(request, "ok_saved")
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
    return redirect(f"/archival/batches/{batch_id}")


@router.post("/archival/batches/{batch_id}/missing")
def batch_missing(
    request: Request, batch_id: int, who: Keeper, box: Annotated[str, Form()], note: Annotated[str, Form()] = ""
) -> Response:
    try:
        with tx(request) as s:
            tr.declare_missing(s, tr.get_batch(s, batch_id), box, who.actor, note)
        flash(request, "ok_saved")
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
    return redirect(f"/archival/batches/{batch_id}")


@router.post("/archival/batches/{batch_id}/details")
async def batch_details(request: Request, batch_id: int, who: Keeper) -> Response:
    """The biên bản's fields and the digital registration fields, from the batch page's form."""
    form = await request.form()
    fields = (*tr.DETAIL_FIELDS, *tr.DIGITAL_FIELDS)
    values: dict[str, str | int | None] = {k: str(form[k]) for k in fields if k in form}
    try:
        for k in ("files_registered", "files_approved", "files_received", "rounds"):
            if k in values:
                text = str(values[k]).strip()
                values[k] = int(text) if text else 0
    except ValueError:
        flash_text(request, t(lang_of(request), "ar_bad_number"))
        return redirect(f"/archival/batches/{batch_id}")
    try:
        with tx(request) as s:
            tr.set_details(s, tr.get_batch(s, batch_id), who.actor, **values)
        flash(request, "ok_saved")
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
    return redirect(f"/archival/batches/{batch_id}")


@router.post("/archival/batches/{batch_id}/close")
def batch_close(request: Request, batch_id: int, who: Keeper) -> Response:
    try:
        with tx(request) as s:
            b = tr.get_batch(s, batch_id)
            tr.close_batch(s, b, who.actor)
            code = b.code
        flash(request, "ar_closed_ok", code=code)
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
    return redirect(f"/archival/batches/{batch_id}")


@router.get("/archival/batches/{batch_id}/{name}")
def batch_document(request: Request, batch_id: int, name: str, who: Viewer) -> Response:
    with tx(request) as s:
        code = tr.get_batch(s, batch_id).code
    return document_response(request, code, name, who)


@router.post("/archival/reorganisations")
async def reorg_register(request: Request, who: Manager) -> Response:
    form = await request.form()
    try:
        on = date.fromisoformat(str(form.get("decided_on", "")))
    except ValueError:
        flash_text(request, t(lang_of(request), "ar_bad_date"))
        return redirect("/archival")
    try:
        with tx(request) as s:
            r = ro.register_reorganisation(
                s,
                str(form.get("decision", "")),
                on,
                str(form.get("kind", "")),
                [str(v) for v in form.getlist("ended")],
                [str(v) for v in form.getlist("receiving")],
                who.actor,
            )
            rid = r.id
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
        return redirect("/archival")
    return redirect(f"/archival/reorganisations/{rid}")


@router.post("/archival/reorganisations/{reorg_id}/handover")
def reorg_handover(
    request: Request, reorg_id: int, who: Manager, merger_receiver: Annotated[str, Form()] = ""
) -> Response:
    try:
        with tx(request) as s:
            ro.start_handover(s, ro.get_reorganisation(s, reorg_id), who.actor, merger_receiver=merger_receiver or None)
        flash(request, "ok_saved")
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
    return redirect(f"/archival/reorganisations/{reorg_id}")


@router.get("/archival/reorganisations/{reorg_id}", response_class=HTMLResponse)
def reorg_page(request: Request, reorg_id: int, who: Viewer) -> Response:
    with tx(request) as s:
        r = ro.get_reorganisation(s, reorg_id)
        rec = ro.reconcile(s, r)
        decided = r.decided_on
        batches = [
            (b.id, b.code, b.state, b.sender.name, b.receiver.name, len(b.items))
            for b in s.scalars(
                select(TransferBatch).where(TransferBatch.reorganisation_id == r.id).order_by(TransferBatch.id)
            )
        ]
        receivers = [
            (o.code, o.name) for o in orgs.list_organisations(s) if str(o.id) in r.receiving_org_ids.split(",")
        ]
    return render(
        request,
        "archival/reorganisation.html",
        rec=rec,
        decided=decided,
        reorg_id=reorg_id,
        kind=r.kind,
        batches=batches,
        receivers=receivers,
    )


# ---- destruction ---------------------------------------------------------------------------------------------------


@router.post("/archival/destructions")
def destruction_open(
    request: Request, who: Manager, org: Annotated[str, Form()], year: Annotated[int, Form()]
) -> Response:
    try:
        with tx(request) as s:
            rid = de.open_review(s, org, year, who.actor).id
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
        return redirect("/archival")
    return redirect(f"/archival/destructions/{rid}")


def _destruction_page(request: Request, review_id: int, who: Principal, status: int = 200, **extra: Any) -> Response:
    today = date.today()
    with tx(request) as s:
        r = de.get_review(s, review_id)
        de.ensure_own(s, r, who.actor)
        days_left = (r.record_due - today).days if r.record_due and r.record_signed_on is None else None
        docs = [
            (d.id, d.kind, d.filename, d.media_type, d.size, d.uploaded_by, d.uploaded_at)
            for d in dd.documents_of(s, r)
        ]
        return render(
            request,
            "archival/destruction.html",
            status=status,
            r=r,
            org=r.organisation.name,
            members=list(r.members),
            res=de.council_result(s, r),
            files=de.destroyed_files_of(s, r),
            days_left=days_left,
            warn=days_left is not None and days_left <= archival_settings(request).destruction_warn_days,
            today=today.isoformat(),
            docs=docs,
            doc_kinds=dd.KINDS,
            doc_max_mb=dd.MAX_BYTES // (1024 * 1024),
            **extra,
        )


@router.get("/archival/destructions/{review_id}", response_class=HTMLResponse)
def destruction_page(request: Request, review_id: int, who: Viewer) -> Response:
    return _destruction_page(request, review_id, who)


@router.post("/archival/destructions/{review_id}/documents", response_class=HTMLResponse)
async def destruction_document_upload(
    request: Request,
    review_id: int,
    who: Manager,
    kind: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Attach a scan (PDF or image) of the appraisal opinion, the decision or the destruction record. A refused
    file shows the page again (422) with the reason beside the form and the kind chosen kept."""
    lang = lang_of(request)
    filename = (file.filename or "") if file is not None else ""
    # One byte past the limit: an oversized scan is refused without holding all of it.
    data = await file.read(dd.MAX_BYTES + 1) if file is not None and filename else b""
    state_dir = Path(request.app.state.settings.state_dir)

    def work() -> str:
        with tx(request) as s:
            r = de.get_review(s, review_id)
            return dd.attach(s, r, kind, data, filename, who.actor, state_dir).filename

    if not filename:
        return await run_in_threadpool(
            _destruction_page, request, review_id, who, 422, doc_error=t(lang, "ar_doc_choose"), doc_kind=kind
        )
    try:
        name = await run_in_threadpool(work)
    except RegistryError as e:
        if status_of(e) in (403, 404):
            raise
        return await run_in_threadpool(
            _destruction_page, request, review_id, who, 422, doc_error=error_words(lang, e), doc_kind=kind
        )
    flash(request, "ar_doc_added", name=name)
    return redirect(f"/archival/destructions/{review_id}#documents")


@router.get("/archival/destructions/{review_id}/documents/{doc_id}")
def destruction_document(request: Request, review_id: int, doc_id: int, who: Viewer) -> Response:
    return document_download(request, review_id, doc_id, who.actor)


@router.post("/archival/destructions/{review_id}/step")
def destruction_step(
    request: Request,
    review_id: int,
    who: Manager,
    step: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
    member_id: Annotated[str, Form()] = "",
    approve: Annotated[str, Form()] = "",
    dissent: Annotated[str, Form()] = "",
    by: Annotated[str, Form()] = "",
    opinion: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = StepIn(
            step=step,
            name=name,
            role=role,
            member_id=int(member_id) if member_id.isdigit() else None,
            approve=approve == "1",
            dissent=dissent,
            by=by,
            opinion=opinion,
            number=number,
            on=date.fromisoformat(on) if on else None,
        )
        with tx(request) as s:
            apply_step(s, de.get_review(s, review_id), body, who.actor, archival_settings(request))
        flash(request, "ok_saved")
    except (RegistryError, ValueError) as e:
        flash_text(
            request,
            localise(str(e), lang_of(request)) if isinstance(e, RegistryError) else t(lang_of(request), "ar_bad_date"),
        )
    return redirect(f"/archival/destructions/{review_id}")


@router.get("/archival/destructions/{review_id}/record.pdf")
def destruction_pdf(request: Request, review_id: int, who: Viewer) -> Response:
    return api_destruction_pdf(request, str(review_id), who)


# ---- backlog -------------------------------------------------------------------------------------------------------


@router.get("/archival/backlog", response_class=HTMLResponse)
def backlog_page(request: Request, who: Viewer) -> Response:
    with tx(request) as s:
        per, province = bl.burn_down(s, date.today(), archival_settings(request))
        fonds = [f for f in s.scalars(select(Fonds.code).order_by(Fonds.code).limit(500))]
    peak = max([u for b in [*per, province] for u, _ in b.by_year.values()] + [1.0])
    return render(
        request,
        "archival/backlog.html",
        per=per,
        province=province,
        peak=peak,
        fonds=fonds,
        today=date.today().isoformat(),
    )


@router.post("/archival/backlog")
def backlog_add(
    request: Request,
    who: Keeper,
    fonds: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    metres: Annotated[str, Form()] = "",
    heights: Annotated[str, Form()] = "",
    catalogue: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
) -> Response:
    lang = lang_of(request)
    try:
        day = date.fromisoformat(on) if on else date.today()
        m = float(metres.replace(",", ".")) if metres.strip() else None
        hs = [float(h.replace(",", ".")) for h in heights.split()] if heights.strip() else None
        cat = int(catalogue) if catalogue.strip() else None
    except ValueError:
        flash_text(request, t(lang, "ar_bad_number"))
        return redirect("/archival/backlog")
    try:
        with tx(request) as s:
            if kind == "arranged":
                bl.record_arranged(s, fonds, day, who.actor, metres=m, catalogue=cat)
            else:
                bl.register_backlog(s, fonds, day, who.actor, metres=m, stack_heights_cm=hs)
        flash(request, "ok_saved")
    except RegistryError as e:
        flash_text(request, localise(str(e), lang_of(request)))
    return redirect("/archival/backlog")
