"""What the keeper pages share: templates, language choice, flash messages, transactions, error responses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from inventory.auth import AuthError, csrf_token, optional_principal
from inventory.db import session_scope
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.i18n import normalize_lang, t

TEMPLATES = Path(__file__).parent / "templates"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fmt_dt(value: datetime | date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


_env.filters["dt"] = _fmt_dt
_env.filters["ms"] = lambda ms: _fmt_dt(datetime.fromtimestamp(int(ms) / 1000, tz=LOCAL_TZ)) if ms else ""


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def lang_of(request: Request) -> str:
    """``?lang=`` beats the ``lang`` cookie beats the user's language beats the configured default."""
    settings = getattr(request.app.state, "settings", None)
    default = settings.web.default_language if settings is not None else "vi"
    for cand in (
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        request.session.get("lang") if "session" in request.scope else None,
    ):
        if cand in ("vi", "en"):
            return str(cand)
    return normalize_lang(default)


def flash(request: Request, key: str, kind: str = "ok", **kw: object) -> None:
    """Show a message on the next page (stored in the session, translated when shown)."""
    request.session["flash"] = {"text": t(lang_of(request), key, None, **kw), "kind": kind}


def flash_text(request: Request, text: str, kind: str = "error") -> None:
    request.session["flash"] = {"text": text, "kind": kind}


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page with ``t`` bound to the request's language, the caller and the CSRF token."""
    lang = lang_of(request)
    has_session = "session" in request.scope
    message = request.session.pop("flash", None) if has_session else None

    def tr(key: str, default: str | None = None, **kw: object) -> str:
        return t(lang, key, default, **kw)

    html = _env.get_template(template).render(
        request=request,
        lang=lang,
        t=tr,
        me=optional_principal(request) if has_session else None,
        csrf=csrf_token(request) if has_session else "",
        flash=message,
        **ctx,
    )
    resp = HTMLResponse(html, status_code=status)
    q = request.query_params.get("lang")
    if q in ("vi", "en"):
        resp.set_cookie("lang", q, max_age=365 * 86400, samesite="lax")
    return resp


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form POST the browser GETs ``url``."""
    return RedirectResponse(url, status_code=303)


@contextmanager
def tx(request: Request) -> Iterator[Session]:
    """A transaction on the app's database (commit on success)."""
    with session_scope(request.app.state.sessions) as session:
        yield session


def status_of(err: RegistryError) -> int:
    if isinstance(err, NotFound):
        return 404
    if isinstance(err, Conflict):
        return 409
    return int(getattr(err, "http_status", 400))


async def registry_error_handler(request: Request, exc: Exception) -> Response:
    """User-facing errors of the services: JSON ``{"detail": …}`` for the API, a short page otherwise."""
    assert isinstance(exc, RegistryError)
    status = status_of(exc)
    if is_api(request):
        return JSONResponse({"detail": str(exc)}, status_code=status)
    return render(request, "error.html", status=status, message=str(exc))


async def auth_error_handler(request: Request, exc: Exception) -> Response:
    """401 → login page for browsers (JSON for the API); 403 → a short page or JSON."""
    assert isinstance(exc, AuthError)
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)
    if exc.status == 401:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return redirect(f"/login?next={quote(nxt, safe='')}")
    lang = lang_of(request)
    return render(
        request,
        "error.html",
        status=exc.status,
        message=t(lang, "csrf") if exc.message == "csrf" else t(lang, "forbidden"),
    )
