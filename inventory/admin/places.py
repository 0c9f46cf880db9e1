"""Sites and rooms (climate class, limit overrides) and shelving created in bulk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import registry
from inventory import services as sv
from inventory.admin.common import Admin, form_error
from inventory.climate import DEFAULT_LIMITS, ClimateClass, limits_for
from inventory.errors import NotFound, RegistryError
from inventory.models import Room, Shelf, ShelvingUnit, Site, Slot
from inventory.webutil import flash, redirect, render, tx

router = APIRouter(include_in_schema=False)
# The limits a room may override in the form: (override key, index in the pair or None).
OVERRIDES = ("target_t_c", "target_rh_pct", "outer_t_c", "outer_rh_pct")


def _places(s: Session) -> dict[str, Any]:
    sites = list(s.scalars(select(Site).order_by(Site.code)))
    units = {
        rid: n
        for rid, n in s.execute(
            select(ShelvingUnit.room_id, func.count(ShelvingUnit.id)).group_by(ShelvingUnit.room_id)
        )
    }
    slots = {
        rid: n
        for rid, n in s.execute(
            select(ShelvingUnit.room_id, func.count(Slot.id))
            .join(Shelf, Shelf.unit_id == ShelvingUnit.id)
            .join(Slot, Slot.shelf_id == Shelf.id)
            .group_by(ShelvingUnit.room_id)
        )
    }
    rooms = [
        {
            "id": r.id,
            "site": site.code,
            "code": r.code,
            "name": r.name,
            "climate_class": r.climate_class,
            "overrides": r.climate_overrides or {},
            "units": units.get(r.id, 0),
            "slots": slots.get(r.id, 0),
        }
        for site in sites
        for r in site.rooms
    ]
    return {
        "sites": [(x.code, x.name, x.organisation) for x in sites],
        "rooms": rooms,
        "classes": [c.value for c in ClimateClass],
        "defaults": {c.value: DEFAULT_LIMITS[c] for c in ClimateClass},
    }


def _page(request: Request, status: int = 200, **ctx: Any) -> Response:
    with tx(request) as s:
        data = _places(s)
    return render(request, "admin/places.html", status=status, **data, **ctx)


@router.get("/admin/places", response_class=HTMLResponse)
def places_page(request: Request, who: Admin) -> Response:
    return _page(request, form={})


@router.post("/admin/sites")
def site_add(
    request: Request,
    who: Admin,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    form = {"site_code": code, "site_name": name, "organisation": organisation}
    try:
        with tx(request) as s:
            registry.create_site(s, code.strip().upper(), name.strip(), organisation.strip())
    except RegistryError as e:
        with tx(request) as s:
            data = _places(s)
        return form_error(request, "admin/places.html", e, form, **data)
    flash(request, "ok_saved")
    return redirect("/admin/places")


def _float(v: str) -> float | None:
    v = v.strip().replace(",", ".")
    return float(v) if v else None


def overrides_from(form: dict[str, str], climate_class: str) -> dict[str, Any]:
    """The limits the form sets that differ from the class defaults, e.g. ``{"target_t_c": (14.0, 18.0)}``."""
    base = DEFAULT_LIMITS[ClimateClass(climate_class)]
    out: dict[str, Any] = {}
    for key in OVERRIDES:
        lo, hi = _float(form.get(f"{key}_lo", "")), _float(form.get(f"{key}_hi", ""))
        default = getattr(base, key)
        pair = (lo if lo is not None else default[0], hi if hi is not None else default[1])
        if pair[0] >= pair[1]:
            raise ValueError(f"{key}: {pair[0]:g} ≥ {pair[1]:g}")
        if pair != tuple(default):
            out[key] = list(pair)
    limits_for(climate_class, out)  # validates
    return out


@router.post("/admin/rooms")
async def room_save(request: Request, who: Admin) -> Response:
    """Create a room, or (with ``room_id``) change its name, climate class and limit overrides."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        cclass = form.get("climate_class", "paper")
        with tx(request) as s:
            overrides = overrides_from(form, cclass)
            if form.get("room_id"):
                room = s.get(Room, int(form["room_id"]))
                if room is None:
                    raise NotFound(f"no room {form['room_id']}")
                room.name = form.get("name", "").strip() or room.name
                room.climate_class = ClimateClass(cclass).value
                room.climate_overrides = overrides
                registry.bump_version(s)
            else:
                registry.create_room(
                    s,
                    form.get("site", ""),
                    form.get("code", "").strip().upper(),
                    form.get("name", "").strip(),
                    cclass,
                    overrides,
                )
    except (RegistryError, ValueError) as e:
        with tx(request) as s:
            data = _places(s)
        return form_error(request, "admin/places.html", e, form, **data)
    flash(request, "ok_saved")
    return redirect("/admin/places")


@router.post("/admin/shelving")
def shelving_add(
    request: Request,
    who: Admin,
    room: Annotated[str, Form()] = "",
    units: Annotated[str, Form()] = "1",
    shelves: Annotated[str, Form()] = "5",
    slots: Annotated[str, Form()] = "6",
    capacity: Annotated[str, Form()] = "10",
) -> Response:
    """Shelving in bulk: ``units`` new units in a room, each ``shelves`` × ``slots`` with codes and labels."""
    form = {"room": room, "units": units, "shelves": shelves, "slots": slots, "capacity": capacity}
    try:
        n_units, n_shelves, n_slots, cap = (int(x) for x in (units, shelves, slots, capacity))
        if not (1 <= n_units <= 50 and 1 <= n_shelves <= 20 and 1 <= n_slots <= 50 and 1 <= cap <= 500):
            raise ValueError("units 1–50, shelves 1–20, slots 1–50, capacity 1–500")
        with tx(request) as s:
            r = s.get(Room, int(room)) if room.isdigit() else None
            if r is None:
                raise NotFound("choose a room")
            first = (s.scalar(select(func.count(ShelvingUnit.id)).where(ShelvingUnit.room_id == r.id)) or 0) + 1
            made = [
                sv.create_shelving(
                    s, r.site.code, r.code, first + i, shelves=n_shelves, slots_per_shelf=n_slots, capacity_boxes=cap
                ).code
                for i in range(n_units)
            ]
    except (RegistryError, ValueError) as e:
        with tx(request) as s:
            data = _places(s)
        return form_error(request, "admin/places.html", e, form, **data)
    flash(request, "ad_shelving_made", n=len(made), first=made[0], last=made[-1], slots=len(made) * n_shelves * n_slots)
    return redirect("/admin/places")
