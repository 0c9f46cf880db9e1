"""Uploads a dry run has checked, waiting for their confirmation (the spreadsheet import, retention tables).

Each waits as a 0600 file under ``<state_dir>/uploads/<area>/``, named by an unguessable id that the page hands to
the confirming form; it is removed once imported, and any left unconfirmed for a day is removed by a later check.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from inventory.privatefiles import private_dir, write_private

KEEP_SECONDS = 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}\.[a-z]{2,5}$")


def _folder(state_dir: Path, area: str) -> Path:
    return private_dir(Path(state_dir) / "uploads" / area)


def _forget_old(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for p in folder.iterdir():
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
        except OSError:
            continue


def keep(state_dir: Path, area: str, data: bytes, suffix: str) -> Path:
    """Store ``data`` until it is confirmed; the file, whose name (ending in ``suffix``, e.g. ``.xlsx``) is the id
    the confirming form sends back."""
    folder = _folder(state_dir, area)
    _forget_old(folder)
    upload_id = secrets.token_urlsafe(18) + suffix
    write_private(folder / upload_id, data)
    return folder / upload_id


def path_of(state_dir: Path, area: str, upload_id: str) -> Path | None:
    """Where the upload ``upload_id`` waits; None for an id kho never gave out or a file already gone."""
    if not isinstance(upload_id, str) or not _ID.match(upload_id):
        return None
    path = _folder(state_dir, area) / upload_id
    return path if path.is_file() else None


def forget(state_dir: Path, area: str, upload_id: str) -> None:
    """Remove the upload (imported, replaced or refused)."""
    path = path_of(state_dir, area, upload_id)
    if path is not None:
        path.unlink(missing_ok=True)
