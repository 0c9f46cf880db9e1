"""Login, logout ("log out everywhere" too), the account page and finishing an action kept over a login."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from inventory.auth import (
    LoginRateLimiter,
    Principal,
    authenticate,
    client_address,
    csrf_matches,
    current_principal,
    end_session,
    get_user,
    live_sessions,
    login_session,
    revoke_sessions,
    session_secret,
    token_hash,
    web_settings,
)
from inventory.errors import NotFound
from inventory.i18n import t
from inventory.limits import PASSWORD_MAX
from inventory.resume import take_pending
from inventory.services import get_box
from inventory.webutil import flash, lang_of, redirect, render, safe_next, tx

router = APIRouter(include_in_schema=False)
Who = Annotated[Principal, Depends(current_principal)]


def _limiter(request: Request) -> LoginRateLimiter:
    lim = getattr(request.app.state, "login_limiter", None)
    if lim is None:
        lim = request.app.state.login_limiter = LoginRateLimiter.from_settings(web_settings(request))
    return lim


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    ended = request.session.pop("expired", None) is True
    notice = t(lang_of(request), "session_ended") if ended or "pending" in request.session else None
    return render(request, "login.html", next=safe_next(next[:2000]), notice=notice)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    uname = username.strip().lower()[:64]
    nxt = safe_next(next[:2000])
    lang = lang_of(request)

    def again(status: int, key: str, **kw: object) -> Response:
        return render(request, "login.html", status=status, next=nxt, username=uname, error=t(lang, key, None, **kw))

    if not csrf_matches(request, csrf):
        # Typically a login page left open longer than the cookie lived: a fresh form, the name kept.
        return again(403, "login_form_expired")
    if len(password) > PASSWORD_MAX:
        return again(401, "login_failed")
    lim = _limiter(request)
    client = client_address(request)
    wait = lim.begin(client, uname)
    if wait > 0:
        return again(429, "login_limited", s=int(wait) + 1)
    with tx(request) as s:
        user = authenticate(s, uname, password)
        if user is None:
            return again(401, "login_failed")
        lim.succeeded(client, uname)
        login_session(request, s, user)
        request.session["who"] = user.username
    if "pending" in request.session:
        return redirect("/resume")
    return redirect(nxt)


@router.post("/logout")
def logout(request: Request, who: Who) -> Response:
    """End this session (a copy of the cookie stops working too)."""
    sid = session_secret(request)
    if sid:
        with tx(request) as s:
            end_session(s, sid)
    request.session.clear()
    return redirect("/login")


@router.post("/logout-all")
def logout_everywhere(request: Request, who: Who) -> Response:
    """End every session of the caller, on every device."""
    if who.kind == "user":
        with tx(request) as s:
            revoke_sessions(s, get_user(s, who.username).id)
    request.session.clear()
    flash(request, "logged_out_everywhere")
    return redirect("/login")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, who: Who) -> Response:
    """The caller's live sessions and "log out everywhere"."""
    sid = session_secret(request)
    mine = token_hash(sid) if sid else ""
    with tx(request) as s:
        rows = [
            (ws.created_at, ws.last_seen_at, ws.client, ws.user_agent, ws.token_hash == mine)
            for ws in live_sessions(s, get_user(s, who.username).id, web_settings(request))
        ]
    return render(request, "account.html", sessions=rows)


_ACTION = re.compile(r"^/(box|slot|shelf|stocktake|task|room)/(\d{1,10})/([a-z_]+)$")


def _describe(request: Request, path: str) -> str:
    """What the kept action does, for the keeper: "Cho mượn · P12-ML3-H004"."""
    lang = lang_of(request)
    m = _ACTION.match(path)
    if m is None:
        return path
    kind, ident, verb = m.group(1), int(m.group(2)), m.group(3)
    name = t(lang, verb, verb)
    if kind == "box":
        with tx(request) as s:
            try:
                return f"{name} · {t(lang, 'box')} {get_box(s, ident).code}"
            except NotFound:
                return name
    return name


@router.get("/resume", response_class=HTMLResponse)
def resume_page(request: Request, who: Who) -> Response:
    """The action sent when the session had ended, ready to be sent again with one tap."""
    pending = take_pending(request, who.username)
    if pending is None:
        return redirect("/")
    if pending.get("file"):
        flash(request, "resume_file_lost", kind="warn")
        return redirect(safe_next(str(pending.get("back") or "/")))
    action = safe_next(str(pending["path"]))
    return render(
        request,
        "resume.html",
        action=action,
        action_name=_describe(request, action),
        fields=[(str(k), str(v)) for k, v in pending.get("fields", [])],
        back=safe_next(str(pending.get("back") or "/")),
    )
