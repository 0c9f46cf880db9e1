"""When the registry database cannot be reached: a clear "not saved, try again" answer, never a 500.

Every change runs in one transaction (``inventory.db.session_scope``), so a request that fails because the
database went away has changed nothing: telling the keeper "not saved, try again" is exact. The page is
rendered without touching the database (no logged-in user lookup), in the request's language.
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


def _page(request: Request) -> HTMLResponse:
    lang = lang_of(request)

    def tr(key: str, default: str | None = None, **kw: object) -> str:
        return t(lang, key, default, **kw)

    html = _env.get_template("db_unavailable.html").render(request=request, lang=lang, t=tr, me=None, csrf="")
    return HTMLResponse(html, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    """503 with Retry-After: JSON ``{"detail": …}`` for the API, a short page for the keepers."""
    if not is_unavailable(exc):
        raise exc
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
    if is_api(request):
        return JSONResponse(
            {"detail": t(lang_of(request), "db_down")}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    return _page(request)


def install(app: FastAPI) -> None:
    """Answer database outages with 503 "try again" instead of a 500."""
    app.add_exception_handler(DBAPIError, unavailable_handler)
    app.add_exception_handler(PoolTimeout, unavailable_handler)
