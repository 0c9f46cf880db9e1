"""Read models for pages and the API: a box with everything its page shows, slots, shelves, rooms.

Each view is a fixed, small number of indexed queries (no N+1), so the box page stays fast with millions of boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.errors import NotFound
from inventory.models import (
    Box,
    BoxEvent,
    BoxStatus,
    Catalogue,
    File,
    Fonds,
    LabelKind,
    LabelToken,
    ReshelveTask,
    Room,
    Shelf,
    ShelvingUnit,
    Site,
    Slot,
    Stocktake,
    StocktakeState,
)
from inventory.services.movements import open_reshelve


@dataclass(frozen=True, slots=True)
class SlotPath:
    """A slot with the shelf, unit and room it is in."""

    slot_id: int
    code: str
    shelf_id: int
    shelf_code: str
    unit_code: str
    room_id: int
    room_code: str
    room_name: str
    site_code: str


def slot_paths(session: Session, slot_ids: list[int | None] | list[int]) -> dict[int, SlotPath]:
    """Paths of many slots in one query."""
    ids = {i for i in slot_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(Slot.id, Slot.code, Shelf.id, Shelf.code, ShelvingUnit.code, Room.id, Room.code, Room.name, Site.code)
        .join(Shelf, Slot.shelf_id == Shelf.id)
        .join(ShelvingUnit, Shelf.unit_id == ShelvingUnit.id)
        .join(Room, ShelvingUnit.room_id == Room.id)
        .join(Site, Room.site_id == Site.id)
        .where(Slot.id.in_(ids))
    )
    return {r[0]: SlotPath(*r) for r in rows}


@dataclass
class EventView:
    kind: str
    at: datetime
    actor: str
    from_code: str
    to_code: str
    custodian: str
    reason: str
    due_back: date | None
    data: dict[str, Any]


@dataclass
class FileView:
    number: int
    title: str
    date_from: date | None
    date_to: date | None
    retention_years: int | None
    pages: int
    access: str


@dataclass
class BoxView:
    """Everything the box page shows."""

    id: int
    code: str
    token: str
    version: int
    fonds_code: str
    fonds_name: str
    catalogue: int
    number: int
    title: str
    date_from: date | None
    date_to: date | None
    media: str
    processing_state: str
    condition: str
    width_m: float
    status: str
    status_since: datetime | None
    custodian: str
    checkout_purpose: str
    due_back: date | None
    last_cleaned_at: datetime | None
    last_seen_at: datetime | None
    home: SlotPath | None
    current: SlotPath | None
    files: list[FileView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    reshelve_at: datetime | None = None  # a stocktake found it elsewhere: to be taken back to its home slot

    @property
    def reshelve(self) -> bool:
        return self.reshelve_at is not None

    @property
    def misplaced(self) -> bool:
        return (
            self.status == BoxStatus.IN_PLACE
            and self.home is not None
            and self.current is not None
            and self.home.slot_id != self.current.slot_id
        )

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        d = asdict(self)
        d["misplaced"] = self.misplaced
        d["reshelve"] = self.reshelve
        return d


def box_view(session: Session, box_id: int, *, events: int = 30) -> BoxView:
    """The box page's data: box + fonds + catalogue, home and current slot paths, files, latest events."""
    row = session.execute(
        select(Box, Fonds.code, Fonds.name, Catalogue.number)
        .join(Fonds, Box.fonds_id == Fonds.id)
        .join(Catalogue, Box.catalogue_id == Catalogue.id)
        .where(Box.id == box_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no box {box_id}")
    box, fonds_code, fonds_name, cat_no = row
    token = (
        session.scalar(
            select(LabelToken.token)
            .where(
                LabelToken.kind == LabelKind.BOX.value, LabelToken.target_id == box.id, LabelToken.revoked_at.is_(None)
            )
            .limit(1)
        )
        or ""
    )
    evs = list(
        session.scalars(
            select(BoxEvent)
            .where(BoxEvent.box_id == box.id)
            .order_by(BoxEvent.at.desc(), BoxEvent.id.desc())
            .limit(events)
        )
    )
    paths = slot_paths(
        session, [box.home_slot_id, box.current_slot_id] + [e.from_slot_id for e in evs] + [e.to_slot_id for e in evs]
    )
    files = [
        FileView(f.number, f.title, f.date_from, f.date_to, f.retention_years, f.pages, f.access)
        for f in session.execute(
            select(File.number, File.title, File.date_from, File.date_to, File.retention_years, File.pages, File.access)
            .where(File.box_id == box.id)
            .order_by(File.number)
        )
    ]

    def code(slot_id: int | None) -> str:
        p = paths.get(slot_id) if slot_id else None
        return p.code if p else ""

    return BoxView(
        id=box.id,
        code=box.code,
        token=token,
        version=box.version,
        fonds_code=fonds_code,
        fonds_name=fonds_name,
        catalogue=cat_no,
        number=box.number,
        title=box.title,
        date_from=box.date_from,
        date_to=box.date_to,
        media=box.media,
        processing_state=box.processing_state,
        condition=box.condition,
        width_m=float(box.width_m),
        status=box.status,
        status_since=box.status_since,
        custodian=box.custodian,
        checkout_purpose=box.checkout_purpose,
        due_back=box.due_back,
        last_cleaned_at=box.last_cleaned_at,
        last_seen_at=box.last_seen_at,
        home=paths.get(box.home_slot_id) if box.home_slot_id else None,
        current=paths.get(box.current_slot_id) if box.current_slot_id else None,
        files=files,
        reshelve_at=session.scalar(
            select(ReshelveTask.created_at).join(Box, open_reshelve()).where(ReshelveTask.box_id == box.id)
        ),
        events=[
            EventView(
                e.kind,
                e.at,
                e.actor,
                code(e.from_slot_id),
                code(e.to_slot_id),
                e.custodian,
                e.reason,
                e.due_back,
                dict(e.data or {}),
            )
            for e in evs
        ],
    )


@dataclass(frozen=True, slots=True)
class BoxBrief:
    id: int
    code: str
    title: str
    status: str
    home_code: str
    current_code: str


@dataclass
class SlotView:
    """A slot: capacity, what belongs there, what is there now."""

    path: SlotPath
    token: str
    capacity_boxes: int
    capacity_m: float
    expected: list[BoxBrief]
    present: list[BoxBrief]


def _briefs(session: Session, cond: Any) -> list[BoxBrief]:
    rows = list(
        session.execute(
            select(Box.id, Box.code, Box.title, Box.status, Box.home_slot_id, Box.current_slot_id)
            .where(cond)
            .order_by(Box.code)
            .limit(500)
        )
    )
    paths = slot_paths(session, [r[4] for r in rows] + [r[5] for r in rows])
    return [
        BoxBrief(
            r[0], r[1], r[2], r[3], paths[r[4]].code if r[4] in paths else "", paths[r[5]].code if r[5] in paths else ""
        )
        for r in rows
    ]


def _token(session: Session, kind: LabelKind, target_id: int) -> str:
    return (
        session.scalar(
            select(LabelToken.token)
            .where(LabelToken.kind == kind.value, LabelToken.target_id == target_id, LabelToken.revoked_at.is_(None))
            .limit(1)
        )
        or ""
    )


def slot_view(session: Session, slot_id: int) -> SlotView:
    paths = slot_paths(session, [slot_id])
    slot = session.get(Slot, slot_id)
    if slot is None or slot_id not in paths:
        raise NotFound(f"no slot {slot_id}")
    return SlotView(
        paths[slot_id],
        _token(session, LabelKind.SLOT, slot_id),
        slot.capacity_boxes,
        float(slot.capacity_m),
        _briefs(session, Box.home_slot_id == slot_id),
        _briefs(session, Box.current_slot_id == slot_id),
    )


@dataclass
class ShelfView:
    """A shelf: its slots with expected and present counts, boxes that belong here, open stocktake."""

    id: int
    code: str
    token: str
    unit_code: str
    room_id: int
    room_name: str
    slots: list[tuple[int, str, int, int, int]]  # id, code, capacity, expected, present
    open_stocktake: int | None
    last_stocktake: datetime | None


def shelf_view(session: Session, shelf_id: int) -> ShelfView:
    shelf = session.get(Shelf, shelf_id)
    if shelf is None:
        raise NotFound(f"no shelf {shelf_id}")
    unit = shelf.unit
    slots = list(
        session.execute(
            select(Slot.id, Slot.code, Slot.capacity_boxes).where(Slot.shelf_id == shelf_id).order_by(Slot.number)
        )
    )
    ids = [s[0] for s in slots]
    exp: dict[int | None, int] = {
        k: v
        for k, v in session.execute(
            select(Box.home_slot_id, func.count()).where(Box.home_slot_id.in_(ids)).group_by(Box.home_slot_id)
        )
    }
    pres: dict[int | None, int] = {
        k: v
        for k, v in session.execute(
            select(Box.current_slot_id, func.count()).where(Box.current_slot_id.in_(ids)).group_by(Box.current_slot_id)
        )
    }
    open_st = session.scalar(
        select(Stocktake.id).where(Stocktake.shelf_id == shelf_id, Stocktake.state == StocktakeState.OPEN.value)
    )
    last = session.scalar(select(func.max(Stocktake.confirmed_at)).where(Stocktake.shelf_id == shelf_id))
    return ShelfView(
        shelf.id,
        shelf.code,
        _token(session, LabelKind.SHELF, shelf.id),
        unit.code,
        unit.room_id,
        unit.room.name,
        [(i, c, cap, int(exp.get(i, 0)), int(pres.get(i, 0))) for i, c, cap in slots],
        open_st,
        last,
    )


@dataclass
class RoomView:
    """A room: its shelving units with occupancy."""

    id: int
    code: str
    name: str
    site_code: str
    climate_class: str
    units: list[tuple[int, str, int, int]]  # id, code, slot capacity (boxes), boxes present
    unit_shelves: dict[int, list[tuple[int, str]]]


def room_view(session: Session, room_id: int) -> RoomView:
    room = session.get(Room, room_id)
    if room is None:
        raise NotFound(f"no room {room_id}")
    cap = (
        select(ShelvingUnit.id, ShelvingUnit.code, func.coalesce(func.sum(Slot.capacity_boxes), 0))
        .outerjoin(Shelf, Shelf.unit_id == ShelvingUnit.id)
        .outerjoin(Slot, Slot.shelf_id == Shelf.id)
        .where(ShelvingUnit.room_id == room_id)
        .group_by(ShelvingUnit.id, ShelvingUnit.code)
        .order_by(ShelvingUnit.code)
    )
    units = list(session.execute(cap))
    present: dict[int, int] = {
        k: v
        for k, v in session.execute(
            select(Shelf.unit_id, func.count(Box.id))
            .join(Slot, Slot.shelf_id == Shelf.id)
            .join(Box, Box.current_slot_id == Slot.id)
            .where(Shelf.unit_id.in_([u[0] for u in units]))
            .group_by(Shelf.unit_id)
        )
    }
    shelves: dict[int, list[tuple[int, str]]] = {}
    for sid, scode, uid in session.execute(
        select(Shelf.id, Shelf.code, Shelf.unit_id)
        .where(Shelf.unit_id.in_([u[0] for u in units]))
        .order_by(Shelf.number)
    ):
        shelves.setdefault(uid, []).append((sid, scode))
    return RoomView(
        room.id,
        room.code,
        room.name,
        room.site.code,
        room.climate_class,
        [(u[0], u[1], int(u[2]), int(present.get(u[0], 0))) for u in units],
        shelves,
    )


@dataclass(frozen=True, slots=True)
class CheckoutRow:
    """A checked-out box for the manager's list."""

    box_id: int
    code: str
    custodian: str
    purpose: str
    since: datetime | None
    due_back: date | None
    overdue: bool


def checked_out_boxes(session: Session, *, today: date | None = None, limit: int = 500) -> list[CheckoutRow]:
    """Boxes out with someone, the ones due back first (no due date last); ``overdue`` if past their due date."""
    today = today or datetime.now(UTC).date()
    rows = session.execute(
        select(Box.id, Box.code, Box.custodian, Box.checkout_purpose, Box.status_since, Box.due_back)
        .where(Box.status == BoxStatus.CHECKED_OUT.value)
        .order_by(Box.due_back.is_(None), Box.due_back, Box.code)
        .limit(limit)
    )
    return [CheckoutRow(i, c, who, p, since, due, due is not None and due < today) for i, c, who, p, since, due in rows]


def room_climate_class(session: Session, room_id: int) -> str:
    """The climate class of a room ("" if there is no such room)."""
    return session.scalar(select(Room.climate_class).where(Room.id == room_id)) or ""


@dataclass(frozen=True, slots=True)
class TodayTask:
    """A cleaning task due for the keeper: where (room page to open), what, when."""

    id: int
    kind: str
    scope: str
    room_id: int | None
    due_at: datetime
    overdue: bool


@dataclass(frozen=True, slots=True)
class BoxToDo:
    """A box that needs someone: missing, to be re-shelved (``slot``: where it belongs), or overdue (``who``)."""

    box_id: int
    code: str
    slot: str
    who: str
    since: datetime | date | None


@dataclass
class TodayView:
    """What the home page lists for the signed-in keeper."""

    tasks: list[TodayTask]
    overdue_loans: list[BoxToDo]
    missing: list[BoxToDo]
    reshelve: list[BoxToDo]
    missing_total: int
    reshelve_total: int


def today_view(session: Session, username: str, *, now: datetime | None = None, limit: int = 20) -> TodayView:
    """Cleaning tasks due within a day assigned to ``username`` (or to nobody), overdue loans, missing boxes and
    boxes to re-shelve: a fixed number of indexed queries."""
    from datetime import timedelta

    from inventory.models import CleaningSchedule, CleaningTask

    now = now or datetime.now(UTC)
    rows = session.execute(
        select(CleaningTask.id, CleaningSchedule.kind, CleaningTask.due_at, ShelvingUnit.code, Room.code, Room.id)
        .join(CleaningSchedule, CleaningTask.schedule_id == CleaningSchedule.id)
        .outerjoin(ShelvingUnit, CleaningSchedule.unit_id == ShelvingUnit.id)
        .outerjoin(Room, Room.id == func.coalesce(CleaningSchedule.room_id, ShelvingUnit.room_id))
        .where(
            CleaningTask.done_at.is_(None),
            CleaningTask.due_at <= now + timedelta(days=1),
            CleaningSchedule.assignee.in_([username, ""]),
        )
        .order_by(CleaningTask.due_at)
        .limit(limit)
    )
    tasks = [TodayTask(i, k, unit or room or "", rid, due, due < now) for i, k, due, unit, room, rid in rows]
    loans = [
        BoxToDo(r.box_id, r.code, "", r.custodian, r.due_back)
        for r in checked_out_boxes(session, today=now.date(), limit=limit)
        if r.overdue
    ]
    missing_q = select(Box.id, Box.code, Box.home_slot_id, Box.status_since).where(
        Box.status == BoxStatus.MISSING.value
    )
    missing_rows = list(session.execute(missing_q.order_by(Box.status_since.desc()).limit(limit)))
    missing_total = session.scalar(select(func.count()).select_from(missing_q.subquery())) or 0
    reshelve_q = select(Box.id, Box.code, Box.home_slot_id, ReshelveTask.created_at).join(ReshelveTask, open_reshelve())
    reshelve_rows = list(session.execute(reshelve_q.order_by(ReshelveTask.created_at).limit(limit)))
    reshelve_total = session.scalar(select(func.count()).select_from(reshelve_q.subquery())) or 0
    paths = slot_paths(session, [r[2] for r in missing_rows + reshelve_rows])

    def todo(r: Any) -> BoxToDo:
        p = paths.get(r[2]) if r[2] else None
        return BoxToDo(r[0], r[1], p.code if p else "", "", r[3])

    return TodayView(
        tasks,
        loans,
        [todo(r) for r in missing_rows],
        [todo(r) for r in reshelve_rows],
        int(missing_total),
        int(reshelve_total),
    )
