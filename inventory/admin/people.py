"""Users, roles and API tokens (admins only). Token secrets are shown once, right after creation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from inventory import auth
from inventory.admin.common import Admin, form_error
from inventory.errors import RegistryError
from inventory.models import ROLE_ORDER, ApiToken, User
from inventory.webutil import flash, redirect, render, tx

router = APIRouter(include_in_schema=False)


def _data(request: Request) -> dict[str, Any]:
    with tx(request) as s:
        users = [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "active": u.active,
                "last_login": u.last_login_at,
            }
            for u in s.scalars(select(User).order_by(User.username))
        ]
        tokens = [
            {"name": x.name, "role": x.role, "created": x.created_at, "used": x.last_used_at, "revoked": x.revoked_at}
            for x in s.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name))
        ]
    return {"users": users, "tokens": tokens, "roles": [r.value for r in ROLE_ORDER]}


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, who: Admin) -> Response:
    return render(
        request, "admin/users.html", **_data(request), form={}, new_token=request.session.pop("new_token", None)
    )


@router.post("/admin/users")
def user_add(
    request: Request,
    who: Admin,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "keeper",
    password: Annotated[str, Form()] = "",
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role}
    try:
        with tx(request) as s:
            auth.create_user(s, username.strip().lower(), password, role, display_name=display_name.strip())
    except RegistryError as e:
        return form_error(request, "admin/users.html", e, form, **_data(request), new_token=None)
    flash(request, "ad_user_made", name=username.strip().lower())
    return redirect("/admin/users")


@router.post("/admin/users/{username}")
def user_change(
    request: Request,
    username: str,
    who: Admin,
    role: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Change a user's role, switch them on or off, or set a new password (what the form sends)."""
    try:
        if username == who.username and (active == "0" or (role and role != who.role)):
            raise RegistryError("you cannot lock yourself out: ask another admin")
        with tx(request) as s:
            if role:
                auth.set_role(s, username, role)
            if active in ("0", "1"):
                auth.set_active(s, username, active == "1")
            if password:
                auth.set_password(s, username, password)
    except RegistryError as e:
        return form_error(request, "admin/users.html", e, {}, **_data(request), new_token=None)
    flash(request, "ok_saved")
    return redirect("/admin/users")


@router.post("/admin/tokens")
def token_add(
    request: Request, who: Admin, name: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "viewer"
) -> Response:
    try:
        with tx(request) as s:
            secret = auth.create_token(s, name.strip(), role, created_by=who.username)
    except RegistryError as e:
        return form_error(
            request, "admin/users.html", e, {"token_name": name, "token_role": role}, **_data(request), new_token=None
        )
    request.session["new_token"] = {"name": name.strip(), "secret": secret}
    return redirect("/admin/users#tokens")


@router.post("/admin/tokens/{name}/revoke")
def token_revoke(request: Request, name: str, who: Admin) -> Response:
    try:
        with tx(request) as s:
            auth.revoke_token(s, name)
    except RegistryError as e:
        return form_error(request, "admin/users.html", e, {}, **_data(request), new_token=None)
    flash(request, "ok_saved")
    return redirect("/admin/users#tokens")
