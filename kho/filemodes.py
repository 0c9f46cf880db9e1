"""Start-up check of the state directory: what kho keeps there is for kho's user only.

The registry (password hashes, unused acknowledge links), its -wal/-shm files, the collector's spool and dead
letters, damage photos and the secret key are created 0600 in 0700 folders (``inventory.privatefiles``). A file or
folder found with wider modes (made by an older kho, copied in, a umask) is reported with a warning at start;
nothing is changed, so an operator's deliberate choice stays.
"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

log = logging.getLogger(__name__)

# Folders of the demo's own servers (their files are theirs to manage).
SERVER_DIRS = frozenset({"mosquitto", "influxdb"})
# Files Mosquitto reads after dropping to its own user: group-readable by design (firmware_configs.broker).
BROKER_DIR = "broker"


def _allowed(rel: Path, is_dir: bool) -> int:
    """The permission bits allowed beyond the owner's for a path relative to the state dir."""
    if rel.parts and rel.parts[0] == BROKER_DIR:
        return 0o050 if is_dir else 0o040
    return 0


def wide_modes(state_dir: Path) -> list[tuple[Path, int]]:
    """Paths under ``state_dir`` (itself included) that others than kho's user may read or write, with modes."""
    if not state_dir.exists():
        return []
    found: list[tuple[Path, int]] = []
    stack = [state_dir]
    while stack:
        path = stack.pop()
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode):
            continue
        is_dir = stat.S_ISDIR(st.st_mode)
        rel = path.relative_to(state_dir)
        if is_dir and len(rel.parts) == 1 and rel.parts[0] in SERVER_DIRS:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077 & ~_allowed(rel, is_dir):
            found.append((path, mode))
        if is_dir:
            stack.extend(sorted(path.iterdir(), reverse=True))
    return found


def warn_wide_modes(state_dir: Path, limit: int = 20) -> list[tuple[Path, int]]:
    """Log one warning per path with modes wider than 0600/0700 (and how to fix them); the paths found."""
    found = wide_modes(state_dir)
    for path, mode in found[:limit]:
        want = "0700" if path.is_dir() else "0600"
        log.warning(
            "%s is readable by other users (mode %04o): kho keeps secrets there; chmod %s %s",
            path,
            mode,
            want,
            path,
        )
    if len(found) > limit:
        log.warning("%d more paths under %s have wide modes: chmod -R go= %s", len(found) - limit, state_dir, state_dir)
    return found
