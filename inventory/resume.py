"""No action lost to an ended session: a form sent after the login session ended is kept and offered again.

When a keeper's session has ended (idle or absolute lifetime, logout elsewhere) and they send a form, the form's
fields are kept in the signed session cookie and the keeper is sent to the login page; after logging in as the
same person they see the action with a plain message and finish it with one tap (``/resume``). Only a form that
carries the CSRF token of this browser is kept, so another site cannot plant an action; a file (a damage photo)
cannot be kept: the keeper is sent back to the page to choose it again.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import UploadFile

from inventory.auth import csrf_matches

# The cookie holds the whole session: a bigger form is not kept (keeper forms are a few fields).
MAX_KEPT_BYTES = 2000
# Ending a session that has ended already is done: nothing to finish after the login.
NOT_KEPT = frozenset({"/logout", "/logout-all"})


def _same_site_path(request: Request, url: str | None) -> str | None:
    from inventory.webutil import safe_next

    if not url:
        return None
    base = str(request.base_url).rstrip("/")
    if url.startswith(base + "/"):
        url = url[len(base) :]
    path = safe_next(url)
    return path if path != "/" or url == "/" else None


async def keep_pending_action(request: Request) -> str:
    """Keep the form of this POST for after the login; the page to go to after it (``/resume`` when kept)."""
    back = _same_site_path(request, request.headers.get("referer")) or "/"
    if "session" not in request.scope or request.url.path in NOT_KEPT:
        return back
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return back
    try:
        form = await request.form()
    except Exception:  # a malformed body: nothing to keep
        return back
    given = form.get("csrf")
    if not csrf_matches(request, given if isinstance(given, str) else None):
        return back
    fields = [[k, v] for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"]
    had_file = any(isinstance(v, UploadFile) and v.filename for _k, v in form.multi_items())
    pending: dict[str, Any] = {
        "path": request.url.path,
        "fields": fields,
        "back": back,
        "file": had_file,
        "who": request.session.get("who"),
    }
    if len(orjson.dumps(pending)) > MAX_KEPT_BYTES:
        return back
    request.session["pending"] = pending
    return "/resume"


def take_pending(request: Request, username: str) -> dict[str, Any] | None:
    """The kept action if it was sent by ``username`` (it is dropped either way once asked for)."""
    pending = request.session.pop("pending", None)
    if not isinstance(pending, dict) or pending.get("who") != username:
        return None
    return pending
