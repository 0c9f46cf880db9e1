"""What the keeper pages share: templates, language choice, flash messages, transactions, error responses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from inventory.auth import AuthError, csrf_token, optional_principal
from inventory.db import session_scope
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.i18n import normalize_lang, t
from inventory.timezone import local_zone

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
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
        return value.astimezone(local_zone()).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


_env.filters["dt"] = _fmt_dt
_env.filters["ms"] = lambda ms: _fmt_dt(datetime.fromtimestamp(int(ms) / 1000, tz=local_zone())) if ms else ""


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


def page_env(*loaders: BaseLoader) -> Environment:
    """The keeper pages' template environment extended by other packages' templates, which can extend the
    layout ``base.html`` (the keeper templates are looked up first); pass it to ``render(..., env=)``."""
    return _env.overlay(loader=ChoiceLoader([_env.loader, *loaders]))  # type: ignore[list-item]


def page_context(request: Request) -> dict[str, Any]:
    """What every page's layout shows besides the page itself (e.g. the open-alert count in the header):
    the merged dicts of the callables other packages append to ``app.state.page_context``."""
    extra: dict[str, Any] = {}
    for provide in getattr(request.app.state, "page_context", ()):
        try:
            extra.update(provide(request))
        except Exception:  # a header detail must never break a page
            import logging

            logging.getLogger(__name__).warning("page context provider failed", exc_info=True)
    return extra


def render(
    request: Request, template: str, status: int = 200, env: Environment | None = None, **ctx: Any
) -> HTMLResponse:
    """Render a page with ``t`` bound to the request's language, the caller and the CSRF token."""
    lang = lang_of(request)
    has_session = "session" in request.scope
    message = request.session.pop("flash", None) if has_session else None

    def tr(key: str, default: str | None = None, **kw: object) -> str:
        return t(lang, key, default, **kw)

    ctx = {**page_context(request), **ctx}
    html = (
        (env or _env)
        .get_template(template)
        .render(
            request=request,
            lang=lang,
            t=tr,
            me=optional_principal(request) if has_session else None,
            csrf=csrf_token(request) if has_session else "",
            flash=message,
            **ctx,
        )
    )
    resp = HTMLResponse(html, status_code=status)
    q = request.query_params.get("lang")
    if q in ("vi", "en"):
        resp.set_cookie("lang", q, max_age=365 * 86400, samesite="lax")
    return resp


def safe_next(nxt: str | None) -> str:
    """``nxt`` if it is a path of this site, else ``/`` (a crafted ?next=https://evil is no open redirect)."""
    if not nxt or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt or urlparse(nxt).netloc:
        return "/"
    return nxt


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form POST the browser GETs ``url``."""
    return RedirectResponse(url, status_code=303)


@contextmanager
def tx(request: Request) -> Iterator[Session]:
    """A transaction on the app's database (commit on success)."""
    with session_scope(request.app.state.sessions) as session:
        yield session


def error_text(lang: str, err: RegistryError, fallback: str = "err_generic") -> str:
    """The user's sentence for a service error in ``lang``: its ``key`` translated with its params; errors without
    a key show the text ``fallback`` (never the English developer message)."""
    if not err.key:
        return t(lang, fallback)
    params: dict[str, object] = {k: v for k, v in err.params.items()}
    kind = params.get("kind")
    if isinstance(kind, str):
        params["kind_name"] = t(lang, kind).lower()
        fill: dict[str, object] = {"slot": "", "custodian": "", **params}
        params["what"] = t(lang, f"what_{kind}", kind, **fill)
    status = params.get("status")
    if isinstance(status, str):
        params["status_name"] = t(lang, f"st_{status}", status)
    at = params.get("at")
    if isinstance(at, datetime):
        params["at"] = _fmt_dt(at if at.tzinfo else at.replace(tzinfo=UTC))
    try:
        return t(lang, err.key, None, **params)
    except (KeyError, IndexError):
        return t(lang, fallback)


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
    return render(request, "error.html", status=status, message=error_text(lang_of(request), exc), detail=str(exc))


async def auth_error_handler(request: Request, exc: Exception) -> Response:
    """401 → login page for browsers (JSON for the API); 403 → a short page or JSON."""
    assert isinstance(exc, AuthError)
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)
    if exc.status == 401:
        if request.method == "GET":
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            # A form sent after the session ended: keep it to finish after the login (inventory.resume).
            from inventory.resume import keep_pending_action

            nxt = await keep_pending_action(request)
        return redirect(f"/login?next={quote(nxt, safe='')}")
    lang = lang_of(request)
    return render(
        request,
        "error.html",
        status=exc.status,
        message=t(lang, "csrf") if exc.message == "csrf" else t(lang, "forbidden"),
    )


_PAGE_ERRORS = {404: "e404", 405: "e405", 422: "e422"}


def install_error_pages(app: FastAPI) -> None:
    """404/405/422/500 answered as pages in the layout (with "Về trang chính") for browsers; paths under ``/api/``
    keep FastAPI's JSON. ``create_app`` calls this once for the whole app, so every router's pages get it."""
    from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if is_api(request) or exc.status_code not in _PAGE_ERRORS:
            return await http_exception_handler(request, exc)
        return _error_page(request, exc.status_code, _PAGE_ERRORS[exc.status_code])

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if is_api(request):
            return await request_validation_exception_handler(request, exc)
        return _error_page(request, 422, "e422")

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("error on %s %s", request.method, request.url.path, exc_info=exc)
        if is_api(request):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return _error_page(request, 500, "e500")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)


def _error_page(request: Request, status: int, key: str) -> Response:
    try:
        return render(request, "error.html", status=status, message=t(lang_of(request), key))
    except Exception:  # a page that cannot render its layout still answers in words, not a traceback
        log.exception("error page failed")
        return HTMLResponse(f"<!doctype html><p>{t(lang_of(request), key)}</p><a href='/'>Về trang chính</a>", status)
