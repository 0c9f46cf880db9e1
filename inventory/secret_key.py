"""The one secret of a kho installation: signs session cookies and acknowledge links.

Configured (``KHO_WEB__SECRET_KEY``) or generated once and kept in ``<state_dir>/secret_key`` (0600), so that a
restart does not log everyone out and links sent before it still verify.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from inventory.privatefiles import private_dir

KEY_FILE = "secret_key"


def app_secret(configured: str, state_dir: Path) -> str:
    """``configured`` if set, else the key kept in the state directory (created on first use, readable by kho only)."""
    if configured:
        return configured
    private_dir(state_dir)
    path = state_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made before, or by another kho process starting at the same moment
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        # Another process created the file and has not written it yet.
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it to have a new key generated")
