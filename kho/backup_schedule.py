"""The scheduled daily backup (``backup.daily_at``) with retention (``backup.keep``), run by the web app."""

from __future__ import annotations

import logging
import re
import shutil
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from inventory.lifespan import run_with_app
from kho.backup import MANIFEST, backup
from kho.settings import Settings

log = logging.getLogger(__name__)
JOB_ID = "kho-daily-backup"
_NAME_RE = re.compile(r"^kho-\d{8}T\d{6}Z$")


def backup_root(settings: Settings) -> Path:
    """Where scheduled backups go: ``backup.dir`` or ``<state_dir>/backups``."""
    return Path(settings.backup.dir) if settings.backup.dir else settings.state_dir / "backups"


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest complete backups under ``root`` and any unfinished ones; the deleted."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for partial in root.glob(".kho-*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
        removed.append(partial)
    done = sorted(p for p in root.iterdir() if p.is_dir() and _NAME_RE.match(p.name) and (p / MANIFEST).is_file())
    for old in done[: max(0, len(done) - keep)]:
        shutil.rmtree(old)
        removed.append(old)
    return removed


def scheduled_backup(settings: Settings, now: datetime | None = None) -> Path:
    """One backup into ``<root>/kho-<UTC time>``, then retention; an interrupted one leaves no complete-looking dir."""
    root = backup_root(settings)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"kho-{(now or datetime.now(UTC)).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    partial = root / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        backup(settings, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    final = root / name
    partial.rename(final)
    prune(root, settings.backup.keep)
    return final


class BackupScheduler:
    """An APScheduler job running :func:`scheduled_backup` every day at ``backup.daily_at`` (alerts.timezone)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._scheduler: BackgroundScheduler | None = None
        self.last: Path | None = None

    def run(self) -> None:
        try:
            self.last = scheduled_backup(self.settings)
            log.info("scheduled backup written to %s", self.last)
        except Exception:  # logged; tomorrow's run tries again
            log.exception("scheduled backup failed")

    def start(self) -> None:
        if self._scheduler is not None or not self.settings.backup.daily_at:
            return
        at = time.fromisoformat(self.settings.backup.daily_at)
        tz = ZoneInfo(self.settings.alerts.timezone)
        sched = BackgroundScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1})
        sched.add_job(self.run, CronTrigger(hour=at.hour, minute=at.minute, timezone=tz), id=JOB_ID)
        sched.start()
        self._scheduler = sched

    def next_run(self) -> datetime | None:
        job = self._scheduler.get_job(JOB_ID) if self._scheduler is not None else None
        return job.next_run_time if job is not None else None

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None


def install(app: Any, settings: Settings) -> BackupScheduler | None:
    """Run the daily backup with the app (started on startup, stopped on shutdown) when ``backup.daily_at`` is set."""
    if not settings.backup.daily_at:
        return None
    sched = BackupScheduler(settings)
    app.state.backup_scheduler = sched
    run_with_app(app, sched.start, sched.shutdown)
    return sched
