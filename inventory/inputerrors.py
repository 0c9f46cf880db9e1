"""Bad input answered as a clear 4xx in every package's routes: validation errors as a page for browsers (JSON for
the API), values the database cannot hold, bodies over the size limit. Never a 500 or a raw JSON error on a page."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from inventory.i18n import t
from inventory.limits import REQUEST_MAX_BYTES
from inventory.webutil import is_api, lang_of, render

log = logging.getLogger(__name__)


def _where(err: dict[str, object]) -> str:
    loc = err.get("loc") or ()
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")] if isinstance(loc, list | tuple) else []
    return ".".join(parts)


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 JSON for the API (FastAPI's own body); a 422 page naming the fields for a browser."""
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        # FastAPI's body without the rejected input: it may be what cannot be encoded (a lone surrogate).
        errors = [{k: e.get(k) for k in ("type", "loc", "msg")} for e in exc.errors() if isinstance(e, dict)]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
    lang = lang_of(request)
    fields = sorted({_where(e) for e in exc.errors() if isinstance(e, dict)} - {""})
    message = t(lang, "invalid_input") + (": " + ", ".join(fields) if fields else "")
    return render(request, "error.html", status=422, message=message)


async def out_of_range(request: Request, exc: Exception) -> Response:
    """A value the database cannot store (an integer over 64 bits, text it refuses): 400, not a 500."""
    log.info("refused %s %s: %s", request.method, request.url.path, type(exc).__name__)
    lang = lang_of(request)
    message = t(lang, "invalid_input")
    if is_api(request):
        return JSONResponse({"detail": "a value is out of range or not valid text"}, status_code=400)
    return render(request, "error.html", status=400, message=message)


def install(app: FastAPI) -> None:
    """The handlers and the request size limit (``inventory.limits.REQUEST_MAX_BYTES``)."""
    app.add_exception_handler(RequestValidationError, validation_error)
    for exc_type in (OverflowError, DataError, UnicodeEncodeError):
        app.add_exception_handler(exc_type, out_of_range)

    @app.middleware("http")
    async def _body_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > REQUEST_MAX_BYTES:
            if is_api(request):
                return JSONResponse({"detail": f"request larger than {REQUEST_MAX_BYTES} bytes"}, status_code=413)
            return render(request, "error.html", status=413, message=t(lang_of(request), "upload_too_large"))
        return await call_next(request)
