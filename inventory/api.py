"""JSON API under ``/api/inventory``: every page action, for scripts and other apps (bearer tokens or session).

Errors: 400 invalid input, 401 not authenticated, 403 role too low (or missing CSRF token for cookie sessions),
404 unknown, 409 conflict (slot full, box changed meanwhile, not checked out, …) — body ``{"detail": "…"}``.
The event log is read-only here: there is no route that edits or deletes an event.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field
from sqlalchemy import select

from inventory import auth
from inventory import services as sv
from inventory.auth import Principal, require_role
from inventory.errors import NotFound, RegistryError
from inventory.limits import (
    CODE_MAX,
    INT_MAX,
    PASSWORD_MAX,
    PHOTO_MAX_BYTES,
    Code,
    Count,
    IdPath,
    Name,
    Note,
    Number,
    RefPath,
    TextQuery,
    Title,
    Width,
    valid_text,
)
from inventory.models import BoxEvent, Room
from inventory.providers import latest_climate, open_alerts
from inventory.webutil import tx

router = APIRouter(prefix="/api/inventory", tags=["inventory"])
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Keeper = Annotated[Principal, Depends(require_role("keeper"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


Ref = Annotated[str, Field(max_length=CODE_MAX * 4), AfterValidator(valid_text)]  # a code, label token or URL


class Versioned(BaseModel):
    version: Count | None = Field(None, description="box version the client saw; a stale one gives 409")


class PlaceIn(Versioned):
    slot: Annotated[str, Field(max_length=CODE_MAX * 4, description="slot code, label token or label URL")]
    set_home: bool = False
    reason: Note = ""


class CheckoutIn(Versioned):
    custodian: Name
    purpose: Code = "reading_room"
    due_back: date | None = None
    reason: Note = ""


class ReturnIn(Versioned):
    slot: Ref | None = None
    reason: Note = ""


class DamageIn(Versioned):
    kind: Code
    note: Note = ""
    photo_base64: Annotated[str, Field(max_length=PHOTO_MAX_BYTES * 4 // 3 + 4)] | None = None
    photo_type: Code = "image/jpeg"


class NoteIn(Versioned):
    note: Note = ""


class InspectIn(Versioned):
    condition: Code = "good"
    note: Note = ""


class HandoverIn(Versioned):
    recipient: Name
    reason: Note = ""


class FileModel(BaseModel):
    number: Number
    title: Title
    date_from: date | None = None
    date_to: date | None = None
    retention_years: Annotated[int, Field(ge=0, le=1000)] | None = None
    pages: Count = 0
    access: Code = "open"
    condition: Code = "good"
    notes: Note = ""


class BoxCreate(BaseModel):
    fonds: Code
    catalogue: Number
    number: Number
    title: Title = ""
    date_from: date | None = None
    date_to: date | None = None
    media: Code = "paper"
    processing_state: Code = "processed"
    condition: Code = "good"
    width_m: Width = 0.1
    notes: Note = ""
    files: Annotated[list[FileModel], Field(max_length=10_000)] = []


class FondsCreate(BaseModel):
    code: Code
    name: Name
    organisation: Name = ""


class ShelvingCreate(BaseModel):
    site: Code
    room: Code
    number: Number
    shelves: Annotated[int, Field(ge=1, le=100)] = 5
    slots_per_shelf: Annotated[int, Field(ge=1, le=100)] = 6
    capacity_boxes: Annotated[int, Field(ge=1, le=10_000)] = 10
    capacity_m: Width = 1.0
    code: Code | None = None
    name: Name = ""


class StocktakeCreate(BaseModel):
    shelf: Annotated[Ref, Field(description="shelf code, label token or URL")]


class ScanIn(BaseModel):
    label: Ref


class ScheduleCreate(BaseModel):
    kind: Code
    recurrence: Name
    site: Code | None = None
    room: Code | None = None
    unit: Code | None = None
    assignee: Name = ""
    starts_at: AwareDatetime | None = Field(None, description="with its time zone, e.g. 2026-01-05T08:00:00+07:00")
    notes: Note = ""


class TaskDone(BaseModel):
    note: Note = ""


class UserCreate(BaseModel):
    username: Code
    password: Annotated[str, Field(max_length=PASSWORD_MAX)]
    role: Code = "viewer"
    display_name: Name = ""


class TokenCreate(BaseModel):
    name: Name
    role: Code = "viewer"


def _box_json(request: Request, box_id: int) -> dict[str, Any]:
    with tx(request) as s:
        return sv.box_view(s, box_id).as_dict()


@router.get("/whoami")
def whoami(who: Viewer) -> dict[str, str]:
    return {"username": who.username, "role": who.role, "kind": who.kind}


@router.get("/labels/{token}")
def label(request: Request, token: RefPath, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.resolve_label(s, token))


@router.get("/search")
def search(
    request: Request,
    response: Response,
    who: Viewer,
    q: TextQuery = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 30,
) -> list[dict[str, Any]]:
    """Hits as a list; ``X-Kho-Search-Incomplete: true`` when very common words may hide more matches."""
    with tx(request) as s:
        hits = sv.search(s, q, limit)
    if hits.incomplete:
        response.headers["X-Kho-Search-Incomplete"] = "true"
    return [asdict(h) for h in hits]


@router.get("/checkouts")
def checkouts(request: Request, who: Viewer) -> list[dict[str, Any]]:
    """Checked-out boxes, due back first, with ``overdue``."""
    with tx(request) as s:
        return [asdict(r) for r in sv.checked_out_boxes(s)]


@router.post("/fonds", status_code=201)
def create_fonds(request: Request, body: FondsCreate, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        f = sv.create_fonds(s, body.code, body.name, body.organisation)
        return {"id": f.id, "code": f.code}


@router.post("/boxes", status_code=201)
def create_box(request: Request, body: BoxCreate, who: Manager) -> dict[str, Any]:
    spec = sv.BoxIn(**body.model_dump(exclude={"files"}), files=[sv.FileIn(**f.model_dump()) for f in body.files])
    with tx(request) as s:
        box_id = sv.create_box(s, spec, who.actor).id
    return _box_json(request, box_id)


@router.get("/boxes/{ref}")
def get_box(request: Request, ref: RefPath, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        box_id = sv.get_box(s, _ref(ref)).id
    return _box_json(request, box_id)


@router.get("/boxes/{ref}/events")
def box_events(
    request: Request, ref: RefPath, who: Viewer, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        evs = s.scalars(
            select(BoxEvent).where(BoxEvent.box_id == box.id).order_by(BoxEvent.id).limit(max(1, min(limit, 1000)))
        )
        rows = list(evs)
        paths = sv.slot_paths(s, [e.from_slot_id for e in rows] + [e.to_slot_id for e in rows])
        return [
            {
                "id": e.id,
                "kind": e.kind,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "from": paths[e.from_slot_id].code if e.from_slot_id in paths else None,
                "to": paths[e.to_slot_id].code if e.to_slot_id in paths else None,
                "custodian": e.custodian,
                "reason": e.reason,
                "due_back": e.due_back.isoformat() if e.due_back else None,
                "data": e.data,
            }
            for e in rows
        ]


def _ref(ref: str) -> str | int:
    # An id is ASCII digits in range ("²".isdigit() is true too); anything else is a code, token or URL.
    if ref.isascii() and ref.isdigit() and len(ref) <= 10 and int(ref) <= INT_MAX:
        return int(ref)
    return ref


@router.post("/boxes/{ref}/place")
def place(request: Request, ref: RefPath, body: PlaceIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.place_box(
            s,
            box,
            body.slot,
            who.actor,
            set_home=body.set_home or None,
            reason=body.reason,
            expected_version=body.version,
        )
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/checkout")
def checkout(request: Request, ref: RefPath, body: CheckoutIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.check_out(
            s,
            box,
            body.custodian,
            body.purpose,
            who.actor,
            due_back=body.due_back,
            reason=body.reason,
            expected_version=body.version,
        )
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/return")
def return_(request: Request, ref: RefPath, body: ReturnIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.return_box(s, box, who.actor, slot_ref=body.slot, reason=body.reason, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/damage")
def damage(request: Request, ref: RefPath, body: DamageIn, who: Keeper) -> dict[str, Any]:
    photo = None
    if body.photo_base64:
        try:
            photo = base64.b64decode(body.photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise RegistryError("photo_base64 is not valid base64") from None
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.report_damage(
            s,
            box,
            body.kind,
            who.actor,
            note=body.note,
            photo=photo,
            photo_type=body.photo_type,
            state_dir=request.app.state.settings.state_dir,
            expected_version=body.version,
        )
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/cleaned")
def cleaned(request: Request, ref: RefPath, body: NoteIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.mark_cleaned(s, box, who.actor, note=body.note, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/inspect")
def inspect(request: Request, ref: RefPath, body: InspectIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.inspect_box(s, box, who.actor, condition=body.condition, note=body.note, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/handover")
def handover(request: Request, ref: RefPath, body: HandoverIn, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.hand_over(s, box, body.recipient, who.actor, reason=body.reason, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/shelving", status_code=201)
def create_shelving(request: Request, body: ShelvingCreate, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        unit = sv.create_shelving(
            s,
            body.site,
            body.room,
            body.number,
            shelves=body.shelves,
            slots_per_shelf=body.slots_per_shelf,
            capacity_boxes=body.capacity_boxes,
            capacity_m=body.capacity_m,
            code=body.code,
            name=body.name,
        )
        return {
            "id": unit.id,
            "code": unit.code,
            "shelves": [{"id": sh.id, "code": sh.code, "slots": [sl.code for sl in sh.slots]} for sh in unit.shelves],
        }


@router.get("/slots/{ref}")
def get_slot(request: Request, ref: RefPath, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.slot_view(s, sv.get_slot(s, _ref(ref)).id))


@router.get("/shelves/{ref}")
def get_shelf(request: Request, ref: RefPath, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.shelf_view(s, sv.get_shelf(s, _ref(ref)).id))


@router.post("/stocktakes", status_code=201)
def start_stocktake(request: Request, body: StocktakeCreate, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        st_id = sv.start_stocktake(s, body.shelf, who.actor).id
    with tx(request) as s:
        return asdict(sv.stocktake_result(s, st_id))


@router.get("/stocktakes/{st_id}")
def get_stocktake(request: Request, st_id: IdPath, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.stocktake_result(s, st_id))


@router.post("/stocktakes/{st_id}/scans")
def scan(request: Request, st_id: IdPath, body: ScanIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        sc = sv.scan_box(s, st_id, body.label)
        known = sc.box_id is not None
    with tx(request) as s:
        return {"known": known, **asdict(sv.stocktake_result(s, st_id))}


@router.post("/stocktakes/{st_id}/confirm")
def confirm(request: Request, st_id: IdPath, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.confirm_stocktake(s, st_id, who.actor))


@router.get("/rooms/{room_id}")
def room(request: Request, room_id: IdPath, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        view = asdict(sv.room_view(s, room_id))
        tasks = [asdict(t) for t in sv.open_tasks_for_room(s, room_id)]
    return {
        **view,
        "tasks": tasks,
        "climate": latest_climate(request.app.state, [room_id]).get(room_id),
        "alerts": open_alerts(request.app.state, room_id),
    }


@router.post("/rooms/{room_id}/label")
def room_label(request: Request, room_id: IdPath, who: Manager) -> dict[str, str]:
    with tx(request) as s:
        r = s.get(Room, room_id)
        if r is None:
            raise NotFound(f"no room {room_id}")
        return {"token": sv.ensure_room_label(s, r)}


@router.post("/schedules", status_code=201)
def create_schedule(request: Request, body: ScheduleCreate, who: Manager) -> dict[str, Any]:
    with tx(request) as s:
        sch = sv.create_schedule(
            s,
            kind=body.kind,
            recurrence=body.recurrence,
            actor=who.actor,
            site_code=body.site,
            room_code=body.room,
            unit_code=body.unit,
            assignee=body.assignee,
            starts_at=body.starts_at,
            notes=body.notes,
        )
        return {
            "id": sch.id,
            "kind": sch.kind,
            "recurrence": sch.recurrence,
            "room_id": sch.room_id,
            "unit_id": sch.unit_id,
        }


@router.post("/tasks/{task_id}/done")
def task_done(request: Request, task_id: IdPath, body: TaskDone, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        task = sv.complete_task(s, task_id, who.actor, body.note)
        return {"id": task.id, "done_at": task.done_at.isoformat() if task.done_at else None, "done_by": task.done_by}


@router.post("/users", status_code=201)
def create_user(request: Request, body: UserCreate, who: Admin) -> dict[str, str]:
    with tx(request) as s:
        u = auth.create_user(s, body.username, body.password, body.role, body.display_name)
        return {"username": u.username, "role": u.role}


@router.post("/users/{username}/logout")
def logout_user(request: Request, username: Annotated[str, Path(max_length=64)], who: Admin) -> dict[str, Any]:
    """End every session of a user (a lost phone, a leaving employee)."""
    with tx(request) as s:
        ended = auth.revoke_sessions(s, auth.get_user(s, username).id)
    return {"username": username.strip().lower(), "ended": ended}


@router.post("/tokens", status_code=201)
def create_token(request: Request, body: TokenCreate, who: Admin) -> dict[str, str]:
    with tx(request) as s:
        secret = auth.create_token(s, body.name, body.role, created_by=who.username if who.kind == "user" else None)
    return {"name": body.name, "role": body.role, "token": secret}
