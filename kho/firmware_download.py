"""``/admin/nodes/<id>/firmware.zip``: a node's generated firmware files for an administrator to flash.

Lives in the composition root because the admin pages (inventory) may not import the generators
(firmware_configs). The files are written where ``kho firmware render`` writes them, so a node's existing
secrets.yaml keeps its passwords.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from firmware_configs.nodes import load_node
from firmware_configs.render import render_node
from inventory.admin.common import Admin
from inventory.errors import RegistryError
from inventory.webutil import tx

router = APIRouter(include_in_schema=False)


@router.get("/admin/nodes/{device_id}/firmware.zip")
def firmware_zip(request: Request, device_id: str, who: Admin) -> Response:
    settings = request.app.state.settings
    fw = settings.firmware
    out = Path(fw.firmware_dir) if fw.firmware_dir else Path(settings.state_dir) / "firmware"
    with tx(request) as s:
        node = load_node(s, device_id)
    rendered = render_node(node, out, fw)
    if rendered.skipped:
        raise RegistryError(rendered.skipped)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in rendered.files:
            z.write(path, f"{device_id}/{path.name}")
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{device_id}-firmware.zip"'},
    )
