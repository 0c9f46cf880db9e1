"""JSON API under ``/api/inventory``: every page action, for scripts and other apps (bearer tokens or session).

Errors: 400 invalid input, 401 not authenticated, 403 role too low (or missing CSRF token for cookie sessions),
404 unknown, 409 conflict (slot full, box changed meanwhile, not checked out, …) — body ``{"detail": "…"}``.
The event log is read-only here: there is no route that edits or deletes an event.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from inventory import auth
from inventory import services as sv
from inventory.auth import Principal, require_role
from inventory.errors import NotFound, RegistryError
from inventory.models import BoxEvent, Room
from inventory.providers import latest_climate, open_alerts
from inventory.webutil import tx

router = APIRouter(prefix="/api/inventory", tags=["inventory"])
Viewer = Annotated[Principal, Depends(require_role("viewer"))]
Keeper = Annotated[Principal, Depends(require_role("keeper"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


class Versioned(BaseModel):
    version: int | None = Field(None, description="box version the client saw; a stale one gives 409")


class PlaceIn(Versioned):
    slot: str = Field(description="slot code, label token or label URL")
    set_home: bool = False
    reason: str = ""


class CheckoutIn(Versioned):
    custodian: str
    purpose: str = "reading_room"
    due_back: date | None = None
    reason: str = ""


class ReturnIn(Versioned):
    slot: str | None = None
    reason: str = ""


class DamageIn(Versioned):
    kind: str
    note: str = ""
    photo_base64: str | None = None
    photo_type: str = "image/jpeg"


class NoteIn(Versioned):
    note: str = ""


class InspectIn(Versioned):
    condition: str = "good"
    note: str = ""


class HandoverIn(Versioned):
    recipient: str
    reason: str = ""


class FileModel(BaseModel):
    number: int
    title: str
    date_from: date | None = None
    date_to: date | None = None
    retention_years: int | None = None
    pages: int = 0
    access: str = "open"
    condition: str = "good"
    notes: str = ""


class BoxCreate(BaseModel):
    fonds: str
    catalogue: int
    number: int
    title: str = ""
    date_from: date | None = None
    date_to: date | None = None
    media: str = "paper"
    processing_state: str = "processed"
    condition: str = "good"
    width_m: float = 0.1
    notes: str = ""
    files: list[FileModel] = []


class FondsCreate(BaseModel):
    code: str
    name: str
    organisation: str = ""


class ShelvingCreate(BaseModel):
    site: str
    room: str
    number: int
    shelves: int = 5
    slots_per_shelf: int = 6
    capacity_boxes: int = 10
    capacity_m: float = 1.0
    code: str | None = None
    name: str = ""


class StocktakeCreate(BaseModel):
    shelf: str = Field(description="shelf code, label token or URL")


class ScanIn(BaseModel):
    label: str


class ScheduleCreate(BaseModel):
    kind: str
    recurrence: str
    site: str | None = None
    room: str | None = None
    unit: str | None = None
    assignee: str = ""
    starts_at: datetime | None = None
    notes: str = ""


class TaskDone(BaseModel):
    note: str = ""


class UserCreate(BaseModel):
    username: str
    password: str
    role: str = "viewer"
    display_name: str = ""


class TokenCreate(BaseModel):
    name: str
    role: str = "viewer"


def _box_json(request: Request, box_id: int) -> dict[str, Any]:
    with tx(request) as s:
        return sv.box_view(s, box_id).as_dict()


@router.get("/whoami")
def whoami(who: Viewer) -> dict[str, str]:
    return {"username": who.username, "role": who.role, "kind": who.kind}


@router.get("/labels/{token}")
def label(request: Request, token: str, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.resolve_label(s, token))


@router.get("/search")
def search(request: Request, response: Response, who: Viewer, q: str = "", limit: int = 30) -> list[dict[str, Any]]:
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
def get_box(request: Request, ref: str, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        box_id = sv.get_box(s, int(ref) if ref.isdigit() else ref).id
    return _box_json(request, box_id)


@router.get("/boxes/{ref}/events")
def box_events(request: Request, ref: str, who: Viewer, limit: int = 200) -> list[dict[str, Any]]:
    with tx(request) as s:
        box = sv.get_box(s, int(ref) if ref.isdigit() else ref)
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
    return int(ref) if ref.isdigit() else ref


@router.post("/boxes/{ref}/place")
def place(request: Request, ref: str, body: PlaceIn, who: Keeper) -> dict[str, Any]:
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
def checkout(request: Request, ref: str, body: CheckoutIn, who: Keeper) -> dict[str, Any]:
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
def return_(request: Request, ref: str, body: ReturnIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.return_box(s, box, who.actor, slot_ref=body.slot, reason=body.reason, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/damage")
def damage(request: Request, ref: str, body: DamageIn, who: Keeper) -> dict[str, Any]:
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
def cleaned(request: Request, ref: str, body: NoteIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.mark_cleaned(s, box, who.actor, note=body.note, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/inspect")
def inspect(request: Request, ref: str, body: InspectIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        box = sv.get_box(s, _ref(ref))
        sv.inspect_box(s, box, who.actor, condition=body.condition, note=body.note, expected_version=body.version)
        box_id = box.id
    return _box_json(request, box_id)


@router.post("/boxes/{ref}/handover")
def handover(request: Request, ref: str, body: HandoverIn, who: Manager) -> dict[str, Any]:
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
def get_slot(request: Request, ref: str, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.slot_view(s, sv.get_slot(s, _ref(ref)).id))


@router.get("/shelves/{ref}")
def get_shelf(request: Request, ref: str, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.shelf_view(s, sv.get_shelf(s, _ref(ref)).id))


@router.post("/stocktakes", status_code=201)
def start_stocktake(request: Request, body: StocktakeCreate, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        st_id = sv.start_stocktake(s, body.shelf, who.actor).id
    with tx(request) as s:
        return asdict(sv.stocktake_result(s, st_id))


@router.get("/stocktakes/{st_id}")
def get_stocktake(request: Request, st_id: int, who: Viewer) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.stocktake_result(s, st_id))


@router.post("/stocktakes/{st_id}/scans")
def scan(request: Request, st_id: int, body: ScanIn, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        sc = sv.scan_box(s, st_id, body.label)
        known = sc.box_id is not None
    with tx(request) as s:
        return {"known": known, **asdict(sv.stocktake_result(s, st_id))}


@router.post("/stocktakes/{st_id}/confirm")
def confirm(request: Request, st_id: int, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        return asdict(sv.confirm_stocktake(s, st_id, who.actor))


@router.get("/rooms/{room_id}")
def room(request: Request, room_id: int, who: Viewer) -> dict[str, Any]:
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
def room_label(request: Request, room_id: int, who: Manager) -> dict[str, str]:
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
def task_done(request: Request, task_id: int, body: TaskDone, who: Keeper) -> dict[str, Any]:
    with tx(request) as s:
        task = sv.complete_task(s, task_id, who.actor, body.note)
        return {"id": task.id, "done_at": task.done_at.isoformat() if task.done_at else None, "done_by": task.done_by}


@router.post("/users", status_code=201)
def create_user(request: Request, body: UserCreate, who: Admin) -> dict[str, str]:
    with tx(request) as s:
        u = auth.create_user(s, body.username, body.password, body.role, body.display_name)
        return {"username": u.username, "role": u.role}


@router.post("/users/{username}/logout")
def logout_user(request: Request, username: str, who: Admin) -> dict[str, Any]:
    """End every session of a user (a lost phone, a leaving employee)."""
    with tx(request) as s:
        ended = auth.revoke_sessions(s, auth.get_user(s, username).id)
    return {"username": username.strip().lower(), "ended": ended}


@router.post("/tokens", status_code=201)
def create_token(request: Request, body: TokenCreate, who: Admin) -> dict[str, str]:
    with tx(request) as s:
        secret = auth.create_token(s, body.name, body.role, created_by=who.username if who.kind == "user" else None)
    return {"name": body.name, "role": body.role, "token": secret}
