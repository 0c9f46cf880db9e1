"""The scheduled daily backup: written by the web app's scheduler at backup.daily_at, old ones pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from kho.app import create_service_app
from kho.backup import read_manifest
from kho.backup_schedule import BackupScheduler, scheduled_backup
from kho.settings import Settings

from .conftest import seed_world


def _settings(url: str, tmp_path: Path, **backup: object) -> Settings:
    return Settings(
        state_dir=tmp_path / "state",
        database={"url": url},  # type: ignore[arg-type]
        web={"secret_key": "k"},  # type: ignore[arg-type]
        backup={"influx": False, **backup},  # type: ignore[arg-type]
    )


def test_daily_backups_keep_the_newest(sqlite_sessions, sqlite_url: str, tmp_path: Path) -> None:
    seed_world(sqlite_sessions, tmp_path / "state")
    st = _settings(sqlite_url, tmp_path, keep=2, dir=str(tmp_path / "daily"))
    t0 = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / ".kho-20261130T193000Z.partial").mkdir()  # an interrupted run
    made = [scheduled_backup(st, t0 + timedelta(days=d)) for d in range(3)]
    left = sorted(p.name for p in (tmp_path / "daily").iterdir())
    assert left == [made[1].name, made[2].name] == ["kho-20261202T193000Z", "kho-20261203T193000Z"]
    assert read_manifest(made[2])["database"]["kind"] == "sqlite"


def test_web_app_schedules_the_backup(sqlite_sessions, sqlite_url: str, tmp_path: Path) -> None:
    st = _settings(sqlite_url, tmp_path, daily_at="02:30")
    app = create_service_app(st)
    sched: BackupScheduler = app.state.backup_scheduler
    with TestClient(app):
        nxt = sched.next_run()
        assert nxt is not None
        local = nxt.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        assert (local.hour, local.minute) == (2, 30) and nxt - datetime.now(UTC) <= timedelta(days=1)
        sched.run()  # what the job does when it fires
        assert sched.last is not None and read_manifest(sched.last)["files"]
    assert sched.next_run() is None  # stopped with the app
    assert not hasattr(create_service_app(_settings(sqlite_url, tmp_path / "b")).state, "backup_scheduler")


def test_daily_at_is_validated() -> None:
    with pytest.raises(ValidationError, match="02:30"):
        Settings(backup={"daily_at": "25:99"})  # type: ignore[arg-type]
