"""When the registry database cannot be reached: a clear "not saved, try again" answer, never a 500.

Every change runs in one transaction (``inventory.db.session_scope``), so a request that could not reach the
database has changed nothing and the keeper is told "not saved, try again". When the connection broke off
midway the COMMIT may or may not have landed: the keeper is told it "may not have been saved" and to look at
the box's history before repeating. The page is rendered without touching the database (no user lookup).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from inventory.i18n import t
from inventory.webutil import _env, is_api, lang_of

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5


def is_unavailable(exc: BaseException) -> bool:
    """True for errors meaning "the database is not reachable right now" (not for bad SQL or constraints)."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


# libpq's words for "no connection was made": nothing can have been written.
_NOT_CONNECTED = ("connection failed", "connection refused", "could not connect", "the database system is")


def certainly_unsaved(exc: BaseException) -> bool:
    """True when the request never reached the database; False when it broke off midway (a commit may have landed)."""
    if isinstance(exc, PoolTimeout):
        return True
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(w in text for w in _NOT_CONNECTED)


def _message_key(exc: BaseException) -> str:
    return "db_down" if certainly_unsaved(exc) else "db_down_unsure"


def _page(request: Request, exc: BaseException) -> HTMLResponse:
    lang = lang_of(request)

    def tr(key: str, default: str | None = None, **kw: object) -> str:
        return t(lang, key, default, **kw)

    html = _env.get_template("db_unavailable.html").render(
        request=request, lang=lang, t=tr, me=None, csrf="", message=tr(_message_key(exc))
    )
    return HTMLResponse(html, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    """503 with Retry-After: JSON ``{"detail": …}`` for the API, a short page for the keepers."""
    if not is_unavailable(exc):
        raise exc
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    if is_api(request):
        return JSONResponse(
            {"detail": t(lang_of(request), _message_key(exc))},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    return _page(request, exc)


def install(app: FastAPI) -> None:
    """Answer database outages with 503 "try again" instead of a 500."""
    app.add_exception_handler(DBAPIError, unavailable_handler)
    app.add_exception_handler(PoolTimeout, unavailable_handler)
