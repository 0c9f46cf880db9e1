"""The inventory's web part: keeper pages and JSON API (``router``), and ``setup_app`` for sessions and errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from inventory import api, login_pages, pages
from inventory.auth import LoginRateLimiter

router = APIRouter()
router.include_router(api.router)
router.include_router(pages.router)
router.include_router(login_pages.router)

STATIC = Path(__file__).parent / "static"
# The cookie outlives the login session (whose lifetimes the server enforces): it keeps the CSRF token and the
# language, so that a form sent after the session ended can be finished after logging in again.
COOKIE_MAX_AGE_S = 30 * 86400


def setup_app(app: FastAPI) -> None:
    """Signed session cookies (key ``app.state.secret_key``) carrying the server-side session, the login limiter,
    security headers, static files (the error handlers are the composition root's:
    ``kho.app.install_web_conventions``)."""
    settings = getattr(app.state, "settings", None)
    https = bool(settings and settings.web.public_base_url.startswith("https://"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie="kho_session",
        max_age=COOKIE_MAX_AGE_S,
        same_site="lax",
        https_only=https,
    )
    if getattr(app.state, "login_limiter", None) is None:
        app.state.login_limiter = (
            LoginRateLimiter.from_settings(settings.web) if settings is not None else LoginRateLimiter()
        )
    app.mount("/static/inventory", StaticFiles(directory=STATIC), name="inventory-static")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        # Label URLs carry tokens: never leak them in a Referer to another site; no framing (clickjacking).
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path.startswith("/static/inventory/vendor/"):
            # The QR decoder (257 kB) is fetched once a week at most, not on every scanning page.
            response.headers.setdefault("Cache-Control", "public, max-age=604800")
        return response
