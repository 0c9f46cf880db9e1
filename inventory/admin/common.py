"""What the admin pages share: role dependencies, form errors in the user's language with the input kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from inventory.auth import Principal, require_role
from inventory.i18n import t
from inventory.webutil import lang_of, render

Manager = Annotated[Principal, Depends(require_role("manager"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


def form_error(request: Request, template: str, err: Exception, form: dict[str, Any], **ctx: Any) -> Response:
    """The form's page again with ``form`` filled in and the reason in words (HTTP 400; nothing was saved)."""
    return render(
        request, template, status=400, error=t(lang_of(request), "ad_not_saved", why=str(err)), form=form, **ctx
    )
