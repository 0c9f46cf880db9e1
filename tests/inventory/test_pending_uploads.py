"""A checked upload waits as a private file until it is confirmed, and no longer than a day."""

from __future__ import annotations

import os
import time
from pathlib import Path

from inventory import pending_uploads as pu


def test_an_upload_waits_privately_until_it_is_forgotten(tmp_path: Path) -> None:
    path = pu.keep(tmp_path, "import", b"a,b\n", ".csv")
    assert path.parent == tmp_path / "uploads" / "import" and path.suffix == ".csv"
    assert path.read_bytes() == b"a,b\n"
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert pu.path_of(tmp_path, "import", path.name) == path
    assert pu.path_of(tmp_path, "retention", path.name) is None  # another area's
    for forged in ("../secret_key", "x.csv", path.name + "/..", "", ".." + path.name):
        assert pu.path_of(tmp_path, "import", forged) is None, forged
    pu.forget(tmp_path, "import", path.name)
    assert not path.exists() and pu.path_of(tmp_path, "import", path.name) is None


def test_an_upload_left_for_a_day_is_removed_by_the_next_one(tmp_path: Path) -> None:
    old = pu.keep(tmp_path, "retention", b"old", ".xlsx")
    recent = pu.keep(tmp_path, "retention", b"recent", ".xlsx")
    day_ago = time.time() - pu.KEEP_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    newest = pu.keep(tmp_path, "retention", b"new", ".xlsx")
    assert not old.exists() and recent.exists() and newest.exists()
