"""Administration in the web: places, people, paperwork (role-checked; the CLI does the same through the same
services)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from inventory.admin import cleaning, fonds, nodes, paperwork, people, places
from inventory.admin.common import Manager
from inventory.webutil import render

router = APIRouter(include_in_schema=False)
router.include_router(places.router)
router.include_router(people.router)
router.include_router(paperwork.router)
router.include_router(cleaning.router)
router.include_router(nodes.router)
router.include_router(fonds.router)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, who: Manager) -> Response:
    """Links to every manager and admin page."""
    return render(request, "admin/home.html")
