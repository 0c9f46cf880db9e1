"""JSON API under ``/api/archival``: organisations, the due list, transfer batches (scanning, closing, documents)
and reorganisations. Errors as the inventory API: ``{"detail": …}`` with 400/403/404/409."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from inventory.archival import backlog as bl
from inventory.archival import destruction as de
from inventory.archival import destruction_documents as dd
from inventory.archival import documents as docs
from inventory.archival import orgs
from inventory.archival import reorganisation as ro
from inventory.archival import retention as rt
from inventory.archival import transfers as tr
from inventory.archival.batch_import import import_batch
from inventory.archival.due import due_files, due_summary
from inventory.archival.models import RetentionRule, TransferBatch
from inventory.archival.settings import ArchivalSettings
from inventory.auth import Principal, require_role
from inventory.errors import NotFound, RegistryError
from inventory.webutil import tx

router = APIRouter(prefix="/api/archival", tags=["archival"])
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Keeper = Annotated[Principal, Depends(require_role("keeper"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]


def archival_settings(request: Request) -> ArchivalSettings:
    settings = getattr(request.app.state, "settings", None)
    cfg = getattr(settings, "archival", None)
    return cfg if isinstance(cfg, ArchivalSettings) else ArchivalSettings()


def batch_json(s: Any, b: TransferBatch) -> dict[str, Any]:
    rep = tr.batch_report(s, b)
    totals = tr.batch_totals(s, b)
    return {
        "code": b.code,
        "kind": b.kind,
        "state": b.state,
        "sender": b.sender.code,
        "receiver": b.receiver.code,
        "title": b.title,
        "legal_basis": b.legal_basis,
        "sender_rep": b.sender_rep,
        "sender_rep_position": b.sender_rep_position,
        "receiver_rep": b.receiver_rep,
        "receiver_rep_position": b.receiver_rep_position,
        "condition": b.condition,
        "digital": {k: getattr(b, k) for k in tr.DIGITAL_FIELDS}
        | {"received_at": b.digital_received_at.isoformat() if b.digital_received_at else None},
        "counts": rep.counts(),
        "missing": rep.missing,
        "unexpected": rep.unexpected,
        "declared_missing": rep.declared_missing,
        "can_close": rep.can_close,
        "totals": {"boxes": totals.boxes, "files": totals.files, "metres": totals.metres},
        "closed_at": b.closed_at.isoformat() if b.closed_at else None,
    }


@router.get("/organisations")
def organisations(request: Request, who: Viewer) -> list[dict[str, Any]]:
    with tx(request) as s:
        return [
            {"code": o.code, "name": o.name, "kind": o.kind, "transfer_source": o.transfer_source}
            for o in orgs.list_organisations(s)
        ]


@router.get("/due")
def due(request: Request, who: Viewer, org: str, year: int | None = None) -> dict[str, Any]:
    """Files of ``org`` due for transfer by the end of ``year`` (default: this year)."""
    today = date.today()
    with tx(request) as s:
        o = orgs.get_organisation(s, org)
        files = due_files(s, o, year or today.year, today, archival_settings(request))
        return {
            "organisation": o.code,
            "year": year or today.year,
            "summary": due_summary(files),
            "files": [asdict(f) for f in files],
        }


class BatchIn(BaseModel):
    sender: str
    receiver: str
    fonds: str | None = None
    catalogue: int | None = None
    boxes: list[str] = Field(default_factory=list, description="box codes, label tokens or URLs")
    due_year: int | None = Field(None, description="the boxes holding files due by the end of this year")
    title: str = ""
    legal_basis: str = ""
    sender_rep: str = ""
    sender_rep_position: str = ""
    receiver_rep: str = ""
    receiver_rep_position: str = ""
    condition: str = ""


@router.post("/batches", status_code=201)
def create(request: Request, body: BatchIn, who: Keeper) -> dict[str, Any]:
    details = body.model_dump(exclude={"sender", "receiver", "fonds", "catalogue", "boxes", "due_year"})
    with tx(request) as s:
        b = tr.create_batch(s, body.sender, body.receiver, who.actor, **details)
        if body.fonds or body.boxes or body.due_year:
            tr.select_boxes(
                s,
                b,
                who.actor,
                fonds=body.fonds,
                catalogue=body.catalogue,
                box_codes=body.boxes or None,
                due_year=body.due_year,
                cfg=archival_settings(request),
            )
        return batch_json(s, b)


@router.post("/batches/import", status_code=201)
async def import_file(request: Request, who: Keeper) -> dict[str, Any]:
    """A batch from a sender without kho: multipart form with ``sender``, ``receiver``, ``title`` and ``file`` (the
    mục lục hồ sơ XLSX in kho's export format)."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise RegistryError("attach the mục lục hồ sơ (XLSX) as 'file'")
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
        return batch_json(s, b)


@router.get("/batches")
def batches(request: Request, who: Viewer, state: str | None = None) -> list[dict[str, Any]]:
    with tx(request) as s:
        return [
            {"code": b.code, "state": b.state, "sender": b.sender.code, "receiver": b.receiver.code, "title": b.title}
            for b in tr.batches_for(s, who.actor, state=state)
        ]


def _visible(s: Any, code: str, who: Principal) -> TransferBatch:
    b = tr.get_batch(s, code)
    tr.ensure_party(s, b, who.actor)
    return b


@router.get("/batches/{code}")
def batch(request: Request, code: str, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        b = _visible(s, code, who)
        out = batch_json(s, b)
        out["problems"] = [asdict(p) for p in tr.check_batch(s, b)]
        return out


class ScanIn(BaseModel):
    side: str = Field(description="out (sender) or in (receiver)")
    codes: list[str] = Field(min_length=1, max_length=5000)
    slot: str | None = Field(None, description="slot where the boxes go (scan in, one code only)")


@router.post("/batches/{code}/scan")
def scan(request: Request, code: str, body: ScanIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        b = tr.get_batch(s, code)
        if body.slot is not None or len(body.codes) == 1:
            res = tr.scan(s, b, body.side, body.codes[0], who.actor, slot=body.slot)
            counts = {"ok": 0, "again": 0, "unexpected": 0} | {res.status: 1}
        else:
            counts = tr.scan_many(s, b, body.side, body.codes, who.actor)
        return {"scans": counts, "batch": batch_json(s, b)}


class BoxRef(BaseModel):
    box: str
    note: str = ""


@router.post("/batches/{code}/missing")
def missing(request: Request, code: str, body: BoxRef, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        b = tr.get_batch(s, code)
        tr.declare_missing(s, b, body.box, who.actor, body.note)
        return batch_json(s, b)


class UnexpectedIn(BaseModel):
    box: str
    accept: bool


@router.post("/batches/{code}/unexpected")
def unexpected(request: Request, code: str, body: UnexpectedIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        b = tr.get_batch(s, code)
        tr.resolve_unexpected(s, b, body.box, body.accept, who.actor)
        return batch_json(s, b)


class DetailsIn(BaseModel):
    values: dict[str, str | int | None]


@router.patch("/batches/{code}")
def details(request: Request, code: str, body: DetailsIn, who: Keeper) -> dict[str, Any]:
    """Fill in the biên bản fields and the digital registration fields (request_code, files_registered, …)."""
    with tx(request) as s:
        b = tr.get_batch(s, code)
        tr.set_details(s, b, who.actor, **body.values)
        return batch_json(s, b)


@router.post("/batches/{code}/close")
def close(request: Request, code: str, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        b = tr.get_batch(s, code)
        tr.close_batch(s, b, who.actor)
        return batch_json(s, b)


DOCS = {
    "bien-ban.pdf": ("application/pdf", docs.bien_ban_pdf),
    "muc-luc.pdf": ("application/pdf", docs.muc_luc_pdf),
    "muc-luc.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", docs.muc_luc_xlsx),
}


def document_response(request: Request, code: str, name: str, who: Principal) -> Response:
    kind = DOCS.get(name)
    if kind is None:
        raise NotFound(f"no document {name}")
    with tx(request) as s:
        b = _visible(s, code, who)
        body = kind[1](s, b)
        filename = f"{b.code}-{name}"
    return Response(body, media_type=kind[0], headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/batches/{code}/{name}")
def document(request: Request, code: str, name: str, who: Viewer) -> Response:
    return document_response(request, code, name, who)


class ReorgIn(BaseModel):
    decision: str
    decided_on: date
    kind: str = Field(description="chia | tach | sap_nhap | hop_nhat | giai_the | ket_thuc")
    ended: list[str]
    receiving: list[str] = Field(default_factory=list)


@router.post("/reorganisations", status_code=201)
def reorganise(request: Request, body: ReorgIn, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        r = ro.register_reorganisation(
            s, body.decision, body.decided_on, body.kind, body.ended, body.receiving, who.actor
        )
        return {"id": r.id, "boxes_before": r.boxes_before}


class HandoverIn(BaseModel):
    merger_receiver: str | None = None
    overrides: dict[str, str] = Field(default_factory=dict, description="box code → receiving organisation code")


@router.post("/reorganisations/{reorg_id}/handover")
def handover(request: Request, reorg_id: int, body: HandoverIn, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        r = ro.get_reorganisation(s, reorg_id)
        bs = ro.start_handover(s, r, who.actor, merger_receiver=body.merger_receiver, overrides=body.overrides)
        return {"batches": [{"code": b.code, "sender": b.sender.code, "receiver": b.receiver.code} for b in bs]}


@router.get("/reorganisations/{reorg_id}")
def reconciliation(request: Request, reorg_id: int, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        rec = ro.reconcile(s, ro.get_reorganisation(s, reorg_id))
        return {
            "decision": rec.decision,
            "boxes_before": rec.boxes_before,
            "boxes_now": rec.boxes_now,
            "complete": rec.complete,
            "open_batches": rec.open_batches,
            "fonds": [asdict(f) | {"balanced": f.balanced} for f in rec.fonds],
        }


# ---- destruction (tiêu hủy) ---------------------------------------------------------------------------------------


def review_json(s: Any, r: Any) -> dict[str, Any]:
    res = de.council_result(s, r)
    return {
        "code": r.code,
        "id": r.id,
        "organisation": r.organisation.code,
        "state": r.state,
        "year": r.year,
        "files": len(de.destroyed_files_of(s, r)),
        "council": {
            "members": [
                {"id": m.id, "name": m.name, "role": m.role, "vote": m.vote, "dissent": m.dissent} for m in r.members
            ],
            "approve": res.approve,
            "reject": res.reject,
            "pending": res.pending,
            "majority": res.majority,
        },
        "appraisal": {"by": r.appraisal_by, "opinion": r.appraisal_opinion, "on": r.appraisal_on},
        "decision": {"number": r.decision_number, "on": r.decision_on, "by": r.decided_by},
        "record_due": r.record_due,
        "destroyer": r.destroyer,
        "record": {"number": r.record_number, "signed_on": r.record_signed_on, "late": r.late},
        "documents": [document_json(d) for d in dd.documents_of(s, r)],
    }


def document_json(d: Any) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "filename": d.filename,
        "media_type": d.media_type,
        "size": d.size,
        "sha256": d.sha256,
        "uploaded_by": d.uploaded_by,
        "uploaded_at": d.uploaded_at.isoformat(),
    }


@router.get("/expired")
def expired(request: Request, who: Viewer, org: str, year: int | None = None) -> dict[str, Any]:
    """Files of ``org`` whose retention has expired by ``year`` (never permanent ones)."""
    with tx(request) as s:
        files = de.expired_files(s, orgs.get_organisation(s, org), year or date.today().year)
        return {"files": [asdict(f) for f in files]}


class ReviewIn(BaseModel):
    org: str
    year: int
    explanation: str = ""


@router.post("/destructions", status_code=201)
def destruction_open(request: Request, body: ReviewIn, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        return review_json(s, de.open_review(s, body.org, body.year, who.actor, body.explanation))


class StepIn(BaseModel):
    """One step of a destruction: ``step`` member | keep | vote | appraisal | decide | handover | record."""

    step: str
    name: str = ""
    role: str = "member"
    file_id: int | None = None
    member_id: int | None = None
    approve: bool = False
    dissent: str = ""
    by: str = ""
    opinion: str = ""
    number: str = ""
    on: date | None = None


@router.post("/destructions/{ref}")
def destruction_step(request: Request, ref: str, body: StepIn, who: Manager) -> dict[str, Any]:

    with tx(request) as s:
        r = de.get_review(s, int(ref) if ref.isdigit() else ref)
        apply_step(s, r, body, who.actor, archival_settings(request))
        s.flush()
        s.refresh(r)
        return review_json(s, r)


def apply_step(s: Any, r: Any, body: StepIn, actor: str, cfg: ArchivalSettings) -> None:
    """Carry out one step of a destruction (shared by the API and the page's forms)."""
    on = body.on or date.today()
    if body.step == "member":
        de.add_member(s, r, body.name, body.role, actor)
    elif body.step == "keep" and body.file_id is not None:
        de.keep_file(s, r, body.file_id, actor)
    elif body.step == "vote" and body.member_id is not None:
        de.vote(s, r, body.member_id, body.approve, actor, body.dissent)
    elif body.step == "appraisal":
        de.record_appraisal(s, r, body.by, body.opinion, on, actor)
    elif body.step == "decide":
        de.decide(s, r, body.number, on, body.by, actor, cfg)
    elif body.step == "handover":
        de.hand_to_destroyer(s, r, body.name, on, actor)
    elif body.step == "record":
        de.sign_record(s, r, body.number, on, actor)
    else:
        raise RegistryError(f"unknown or incomplete step {body.step!r}")


@router.get("/destructions/{ref}")
def destruction_show(request: Request, ref: str, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        r = de.get_review(s, int(ref) if ref.isdigit() else ref)
        de.ensure_own(s, r, who.actor)
        return review_json(s, r)


@router.post("/destructions/{ref}/documents", status_code=201)
async def destruction_document_upload(request: Request, ref: str, who: Manager) -> dict[str, Any]:
    """Attach a scanned document: multipart ``kind`` (appraisal | decision | record) and ``file`` (PDF or image)."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise RegistryError("attach the scan (PDF or image) as 'file'")
    data = await upload.read(dd.MAX_BYTES + 1)
    with tx(request) as s:
        r = de.get_review(s, int(ref) if ref.isdigit() else ref)
        d = dd.attach(
            s,
            r,
            str(form.get("kind", "")),
            data,
            upload.filename or "",
            who.actor,
            Path(request.app.state.settings.state_dir),
        )
        return document_json(d)


def document_download(request: Request, review: int | str, doc_id: int, actor: str) -> Response:
    """A scanned document of a destruction file, with the type its bytes proved to be, to those who may see the
    file (the page and the API)."""
    with tx(request) as s:
        d = dd.get_document(s, de.get_review(s, review), doc_id, actor)
        path = dd.document_path(Path(request.app.state.settings.state_dir), d)
        mime, name = d.media_type, d.filename
    return FileResponse(path, media_type=mime, filename=name, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/destructions/{ref}/documents/{doc_id}")
def destruction_document(request: Request, ref: str, doc_id: int, who: Viewer) -> Response:
    return document_download(request, int(ref) if ref.isdigit() else ref, doc_id, who.actor)


@router.get("/destruction-deadlines")
def destruction_deadlines(request: Request, who: Viewer) -> list[dict[str, Any]]:
    """Destruction records due within the warning period, or late."""
    with tx(request) as s:
        return [asdict(w) for w in de.record_deadlines(s, date.today(), archival_settings(request))]


@router.get("/destructions/{ref}/record.pdf")
def destruction_pdf(request: Request, ref: str, who: Viewer) -> Response:
    with tx(request) as s:
        r = de.get_review(s, int(ref) if ref.isdigit() else ref)
        de.ensure_own(s, r, who.actor)
        body = docs.destruction_record_pdf(s, r)
        code = r.code
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{code}-bien-ban-huy.pdf"'},
    )


# ---- backlog (tồn đọng) ---------------------------------------------------------------------------------------------


def burn_down_json(b: bl.BurnDown) -> dict[str, Any]:
    return asdict(b) | {"by_year": {str(y): {"unarranged": u, "arranged": a} for y, (u, a) in b.by_year.items()}}


@router.get("/backlog")
def backlog(request: Request, who: Viewer) -> dict[str, Any]:
    """Metres unarranged and arranged per organisation and for the province, with the rate each deadline needs."""
    with tx(request) as s:
        per, province = bl.burn_down(s, date.today(), archival_settings(request))
        return {"organisations": [burn_down_json(b) for b in per], "province": burn_down_json(province)}


class BacklogIn(BaseModel):
    fonds: str
    kind: str = Field(description="registered | arranged")
    on: date | None = None
    metres: float | None = None
    stack_heights_cm: list[float] = Field(default_factory=list, max_length=10000)
    catalogue: int | None = Field(None, description="arranged: the catalogue the arrangement produced")
    note: str = ""


@router.post("/backlog", status_code=201)
def backlog_add(request: Request, body: BacklogIn, who: Keeper) -> dict[str, Any]:
    on = body.on or date.today()
    with tx(request) as s:
        if body.kind == "registered":
            e = bl.register_backlog(
                s, body.fonds, on, who.actor, metres=body.metres, stack_heights_cm=body.stack_heights_cm, note=body.note
            )
        elif body.kind == "arranged":
            e = bl.record_arranged(
                s, body.fonds, on, who.actor, metres=body.metres, catalogue=body.catalogue, note=body.note
            )
        else:
            raise RegistryError("kind must be 'registered' or 'arranged'")
        return {"id": e.id, "metres": e.metres, "bundles": e.bundles}


# ---- retention tables ------------------------------------------------------------------------------------------------


@router.post("/retention", status_code=201)
async def retention_import(request: Request, who: Manager) -> dict[str, Any]:
    """Import (replace) a retention table: multipart ``table``, optional ``organisation``, ``file`` (XLSX or CSV)."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise RegistryError("attach the table (XLSX or CSV) as 'file'")
    data = await upload.read()
    with tx(request) as s:
        n = rt.import_retention_table(
            s,
            str(form.get("table", "")),
            data,
            upload.filename or "",
            organisation=str(form.get("organisation") or "") or None,
            actor=who.actor,
        )
    return {"rules": n}


@router.get("/retention")
def retention_list(request: Request, who: Viewer, table: str) -> list[dict[str, Any]]:
    with tx(request) as s:
        return [
            {"code": r.code, "title": r.title, "years": r.years}
            for r in s.scalars(
                select(RetentionRule).where(RetentionRule.table_name == table).order_by(RetentionRule.code)
            )
        ]


class RetentionSetIn(BaseModel):
    box: str
    file: int
    table: str
    code: str


@router.post("/retention/apply")
def retention_apply(request: Request, body: RetentionSetIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        years = rt.set_file_retention(s, body.box, body.file, body.table, body.code, who.actor)
    return {"retention_years": years}
