"""Fonds (phông) and their catalogues (mục lục) for managers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from inventory import services as sv
from inventory.admin.common import Manager, form_error
from inventory.errors import RegistryError
from inventory.models import Box, Fonds
from inventory.webutil import flash, redirect, render, tx

router = APIRouter(include_in_schema=False)


def _data(request: Request) -> dict[str, Any]:
    with tx(request) as s:
        boxes = {fid: n for fid, n in s.execute(select(Box.fonds_id, func.count(Box.id)).group_by(Box.fonds_id))}
        fonds = [
            {
                "code": f.code,
                "name": f.name,
                "organisation": f.organisation,
                "boxes": boxes.get(f.id, 0),
                "catalogues": [(c.number, c.title) for c in f.catalogues],
            }
            for f in s.scalars(select(Fonds).order_by(Fonds.code))
        ]
    return {"fonds_rows": fonds}


@router.get("/admin/fonds", response_class=HTMLResponse)
def fonds_page(request: Request, who: Manager) -> Response:
    return render(request, "admin/fonds.html", form={}, **_data(request))


@router.post("/admin/fonds")
def fonds_add(
    request: Request,
    who: Manager,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    form = {"code": code, "name": name, "organisation": organisation}
    try:
        with tx(request) as s:
            sv.create_fonds(s, code.strip().upper(), name.strip(), organisation.strip())
    except RegistryError as e:
        return form_error(request, "admin/fonds.html", e, form, **_data(request))
    flash(request, "ok_saved")
    return redirect("/admin/fonds")


@router.post("/admin/fonds/{code}/catalogues")
def catalogue_add(
    request: Request,
    code: str,
    who: Manager,
    number: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    form = {"cat_fonds": code, "number": number, "title": title}
    try:
        if not number.strip().isdigit():
            raise RegistryError("catalogue number must be a whole number")
        with tx(request) as s:
            sv.ensure_catalogue(s, sv.get_fonds(s, code), int(number), title.strip())
    except RegistryError as e:
        return form_error(request, "admin/fonds.html", e, form, **_data(request))
    flash(request, "ok_saved")
    return redirect(f"/admin/fonds#f-{code}")
