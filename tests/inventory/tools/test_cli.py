"""The `kho` commands end to end (real process, SQLite): import, labels, export, stats, cleaning; clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from inventory.db import make_engine, make_sessionmaker, session_scope, utcnow
from inventory.models import Box, CleaningTask
from inventory.services import create_schedule
from kho import db as kho_db
from tests.inventory.tools.conftest import ROWS, write_xlsx
from tests.inventory.tools.helpers import decode_qr_png, make_site, run

KHO = str(Path(sys.executable).with_name("kho"))


def _kho(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KHO, *args], capture_output=True, text=True, env=env, timeout=300)


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "KHO_DATABASE__URL": url,
            "KHO_STATE_DIR": str(tmp_path / "state"),
            "COLUMNS": "200",
            "KHO_WEB__PUBLIC_BASE_URL": "https://kho.example.vn",
        }
    )
    return env


def test_import_labels_export_stats_cleaning(tmp_path: Path, sqlite_url: str) -> None:
    kho_db.upgrade(sqlite_url)
    env = _env(tmp_path, sqlite_url)
    bad = [list(r) for r in ROWS]
    bad[0][2] = "x"
    r = _kho(
        env,
        "import",
        "boxes",
        str(write_xlsx(tmp_path / "bad.xlsx", bad)),
        "--fonds",
        "P12",
        "--fonds-name",
        "UBND tỉnh",
        "--catalogue",
        "3",
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "nothing imported" in r.stderr and "Số hồ sơ" in r.stdout and "'x'" in r.stdout

    xlsx = write_xlsx(tmp_path / "ml.xlsx", ROWS)
    r = _kho(env, "import", "boxes", str(xlsx), "--fonds", "P12", "--catalogue", "3", "--dry-run")
    assert r.returncode == 1 and "P12" in r.stderr and "Traceback" not in r.stderr  # unknown fonds, one line
    r = _kho(
        env,
        "import",
        "boxes",
        str(xlsx),
        "--fonds",
        "P12",
        "--catalogue",
        "3",
        "--fonds-name",
        "UBND tỉnh",
        "--dry-run",
    )
    assert r.returncode == 0 and "dry run" in r.stdout, r.stderr
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count(Box.id))) == 0
    r = _kho(env, "import", "boxes", str(xlsx), "--fonds", "P12", "--catalogue", "3", "--fonds-name", "UBND tỉnh")
    assert r.returncode == 0 and "2 hộp" in r.stdout, r.stderr
    r = _kho(env, "import", "boxes", str(xlsx), "--fonds", "P12", "--catalogue", "3")
    assert r.returncode == 0 and "unchanged 5" in r.stdout.replace("\n", " "), r.stdout

    pdf = tmp_path / "labels.pdf"
    r = _kho(env, "labels", "print", "--fonds", "P12", "--what", "boxes", "--out", str(pdf))
    assert r.returncode == 0 and "2 nhãn" in r.stdout, r.stderr
    run(["pdftoppm", "-r", "200", "-gray", "-png", str(pdf), str(tmp_path / "p")])
    urls = decode_qr_png(next(tmp_path.glob("p-*.png")))
    assert len(urls) == 2 and all(u.startswith("https://kho.example.vn/s/") for u in urls)
    r = _kho(env, "labels", "print", "--fonds", "P99")
    assert r.returncode == 1 and "P99" in r.stderr and "Traceback" not in r.stderr
    r = _kho(env, "labels", "print", "--what", "drawers")
    assert r.returncode == 1 and "--what" in r.stderr

    out = tmp_path / "boxes.xlsx"
    r = _kho(env, "export", "boxes", "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0 and out.stat().st_size > 0, r.stderr
    r = _kho(env, "stats", "--json")
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["fonds"][0]["code"] == "P12" and stats["fonds"][0]["boxes"] == 2 and stats["fonds"][0]["files"] == 5

    with session_scope(sessions) as s:
        make_site(s)
        create_schedule(
            s,
            kind="floor",
            recurrence="every 7d",
            actor="m",
            site_code="LD",
            room_code="K1",
            starts_at=utcnow() - timedelta(days=3),
        )
    r = _kho(env, "cleaning", "tick")
    assert r.returncode == 0 and "1 việc mới" in r.stdout and "overdue" in r.stdout, r.stderr
    r = _kho(env, "cleaning", "done", "LD-K1", "--actor", "thukho1")
    assert r.returncode == 1 and "Traceback" not in r.stderr  # no room label yet: a clear error
    with session_scope(sessions) as s:
        from inventory.models import Room
        from inventory.services import ensure_room_label

        room = s.scalars(select(Room)).one()
        token = ensure_room_label(s, room)
    r = _kho(env, "cleaning", "done", f"https://kho.example.vn/s/{token}", "--actor", "thukho1")
    assert r.returncode == 0 and "floor" in r.stdout, r.stderr
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count(CleaningTask.id)).where(CleaningTask.done_by == "thukho1")) == 1
    engine.dispose()
