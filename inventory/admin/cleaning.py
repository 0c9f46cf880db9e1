"""Cleaning schedules in plain words: daily, weekly on a weekday, monthly on a day, every N days; with a user
picker. They are stored as the recurrence strings the scheduler reads (``every 3d``, a cron line in the site's
time zone) and shown back in words."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from inventory import services as sv
from inventory.admin.common import Manager, form_error
from inventory.errors import NotFound, RegistryError
from inventory.i18n import t
from inventory.models import CleaningKind, CleaningSchedule, CleaningTask, Room, ShelvingUnit, Site, User
from inventory.webutil import flash, lang_of, redirect, render, tx

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CRON = re.compile(r"^0 (\d{1,2}) (\*|\d{1,2}) \* (\*|mon|tue|wed|thu|fri|sat|sun)$")
_EVERY = re.compile(r"^every (\d+)d$")


def recurrence_of(form: dict[str, str]) -> str:
    """The recurrence string for the form's plain choice (``how`` daily|weekly|monthly|every, at ``hour``)."""
    how = form.get("how", "weekly")
    hour = int(form.get("hour") or 8)
    if not 0 <= hour <= 23:
        raise ValueError("hour 0–23")
    if how == "daily":
        return f"0 {hour} * * *"
    if how == "weekly":
        day = form.get("weekday", "mon")
        if day not in WEEKDAYS:
            raise ValueError("choose a weekday")
        return f"0 {hour} * * {day}"
    if how == "monthly":
        dom = int(form.get("monthday") or 1)
        if not 1 <= dom <= 28:
            raise ValueError("day of month 1–28 (every month has it)")
        return f"0 {hour} {dom} * *"
    if how == "every":
        n = int(form.get("days") or 0)
        if not 1 <= n <= 366:
            raise ValueError("every 1–366 days")
        return f"every {n}d"
    raise ValueError("choose how often")


def choice_of(recurrence: str) -> dict[str, str]:
    """The form's plain choice for a stored recurrence (``how`` ``custom`` when it has no plain form)."""
    if m := _EVERY.match(recurrence):
        return {"how": "every", "days": m.group(1), "hour": "8"}
    if m := _CRON.match(recurrence):
        hour, dom, dow = m.groups()
        if dom == "*" and dow == "*":
            return {"how": "daily", "hour": hour}
        if dom == "*":
            return {"how": "weekly", "weekday": dow, "hour": hour}
        if dow == "*":
            return {"how": "monthly", "monthday": dom, "hour": hour}
    return {"how": "custom", "raw": recurrence}


def describe(recurrence: str, lang: str) -> str:
    """``Hằng tuần, thứ Hai, 8:00`` / ``Weekly on Monday at 8:00``; the raw string when it has no plain form."""
    c = choice_of(recurrence)
    if c["how"] == "every":
        return t(lang, "cl_every_n", n=c["days"])
    if c["how"] == "daily":
        return t(lang, "cl_daily_at", h=c["hour"])
    if c["how"] == "weekly":
        return t(lang, "cl_weekly_at", day=t(lang, f"cl_{c['weekday']}"), h=c["hour"])
    if c["how"] == "monthly":
        return t(lang, "cl_monthly_at", d=c["monthday"], h=c["hour"])
    return recurrence


def _data(request: Request, s: Session) -> dict[str, Any]:
    lang = lang_of(request)
    users = [
        (u, n)
        for u, n in s.execute(select(User.username, User.display_name).where(User.active).order_by(User.username))
    ]
    names = dict(users)
    rows = []
    for sch in s.scalars(select(CleaningSchedule).order_by(CleaningSchedule.id)):
        where = (
            f"{sch.room.site.code} · {sch.room.code} {sch.room.name}"
            if sch.room is not None
            else f"{sch.unit.code}"
            if sch.unit is not None
            else "?"
        )
        rows.append(
            {
                "id": sch.id,
                "where": where,
                "kind": sch.kind,
                "recurrence": sch.recurrence,
                "plain": describe(sch.recurrence, lang),
                "choice": choice_of(sch.recurrence),
                "assignee": sch.assignee,
                "assignee_name": names.get(sch.assignee, sch.assignee),
                "active": sch.active,
            }
        )
    scopes = [
        (f"room:{rid}", f"{site} · {code} {name}")
        for rid, site, code, name in s.execute(
            select(Room.id, Site.code, Room.code, Room.name).join(Site).order_by(Site.code, Room.code)
        )
    ]
    scopes += [
        (f"unit:{uid}", code)
        for uid, code in s.execute(select(ShelvingUnit.id, ShelvingUnit.code).order_by(ShelvingUnit.code))
    ]
    return {
        "schedules": rows,
        "users": users,
        "scopes": scopes,
        "kinds": [k.value for k in CleaningKind],
        "weekdays": WEEKDAYS,
    }


@router.get("/admin/cleaning", response_class=HTMLResponse)
def cleaning_page(request: Request, who: Manager) -> Response:
    with tx(request) as s:
        data = _data(request, s)
    return render(request, "admin/cleaning.html", form={}, **data)


def _error(request: Request, e: Exception, form: dict[str, str]) -> Response:
    with tx(request) as s:
        data = _data(request, s)
    return form_error(request, "admin/cleaning.html", e, form, **data)


@router.post("/admin/cleaning")
async def schedule_save(request: Request, who: Manager) -> Response:
    """Create a schedule, or (with ``schedule_id``) change its kind, recurrence, assignee or whether it runs."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        recurrence = recurrence_of(form)
        assignee = form.get("assignee", "")
        with tx(request) as s:
            if assignee and s.scalar(select(User.id).where(User.username == assignee)) is None:
                raise NotFound(f"no user {assignee}")
            if form.get("schedule_id"):
                sch = s.get(CleaningSchedule, int(form["schedule_id"]))
                if sch is None:
                    raise NotFound(f"no cleaning schedule {form['schedule_id']}")
                sch.kind = CleaningKind(form.get("kind", sch.kind)).value
                sch.recurrence = sv.check_recurrence(recurrence)
                sch.assignee = assignee
                sch.active = form.get("active", "1") == "1"
            else:
                scope, _, ref = form.get("scope", "").partition(":")
                if scope == "room" and ref.isdigit():
                    room = s.get_one(Room, int(ref))
                    sv.create_schedule(
                        s,
                        kind=form.get("kind", ""),
                        recurrence=recurrence,
                        actor=who.actor,
                        site_code=room.site.code,
                        room_code=room.code,
                        assignee=assignee,
                    )
                elif scope == "unit" and ref.isdigit():
                    unit = s.get_one(ShelvingUnit, int(ref))
                    sv.create_schedule(
                        s,
                        kind=form.get("kind", ""),
                        recurrence=recurrence,
                        actor=who.actor,
                        unit_code=unit.code,
                        assignee=assignee,
                    )
                else:
                    raise ValueError("choose a room or a shelving unit")
    except (RegistryError, ValueError) as e:
        return _error(request, e, form)
    flash(request, "ok_saved")
    return redirect("/admin/cleaning")


@router.post("/admin/cleaning/{schedule_id}/delete")
def schedule_delete(request: Request, schedule_id: int, who: Manager) -> Response:
    """Delete a schedule and its open tasks. One with done tasks is stopped instead, so the record of past
    cleaning stays."""
    with tx(request) as s:
        if s.get(CleaningSchedule, schedule_id) is None:
            raise NotFound(f"no cleaning schedule {schedule_id}")
        s.execute(delete(CleaningTask).where(CleaningTask.schedule_id == schedule_id, CleaningTask.done_at.is_(None)))
        done = s.scalar(select(func.count(CleaningTask.id)).where(CleaningTask.schedule_id == schedule_id))
        if done:
            s.execute(update(CleaningSchedule).where(CleaningSchedule.id == schedule_id).values(active=False))
        else:
            s.execute(delete(CleaningSchedule).where(CleaningSchedule.id == schedule_id))
        s.expire_all()
    flash(request, "cl_stopped" if done else "cl_deleted")
    return redirect("/admin/cleaning")
