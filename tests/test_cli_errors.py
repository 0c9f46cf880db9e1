"""The CLI never shows a user a traceback: bad input and an unmigrated database give one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _kho(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KHO_STATE_DIR=str(tmp_path / "state"))
    env.pop("KHO_DATABASE__URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from kho.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unmigrated_database_says_what_to_run(tmp_path: Path) -> None:
    r = _kho(tmp_path, "devices", "list")
    assert r.returncode == 1
    assert "kho db upgrade" in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    assert _kho(tmp_path, "db", "upgrade").returncode == 0
    r = _kho(tmp_path, "rooms", "add", "NOPE", "R1", "Phòng 1")
    assert r.returncode == 1 and "no site with code NOPE" in r.stderr and "Traceback" not in r.stderr
    r = _kho(tmp_path, "devices", "add", "n1", "--profile", "native", "--room", "no-slash")
    assert r.returncode == 1 and "SITE/ROOM" in r.stderr and "Traceback" not in r.stderr
