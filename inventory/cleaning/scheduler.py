"""The cleaning scheduler: an APScheduler job that creates due tasks and flags overdue ones.

All state lives in the SQL database (schedules, tasks with UNIQUE(schedule_id, due_at), overdue claims),
so a restart loses nothing and catches up at once, and two app processes running this scheduler against
the same database neither create a task twice nor notify an overdue task twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from inventory.cleaning.providers import OverdueNotifier, OverdueTask
from inventory.cleaning.tasks import (
    DEFAULT_OVERDUE_AFTER,
    TickResult,
    claim_overdue,
    due_occurrences,
    insert_tasks,
    overdue_candidates,
)
from inventory.db import session_scope, utcnow
from inventory.lifespan import run_with_app

log = logging.getLogger(__name__)

JOB_ID = "kho-cleaning-tick"


class CleaningScheduler:
    """Runs ``tick()`` every ``tick_s`` seconds in a background thread (and once right at start)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        notifier: OverdueNotifier | Callable[[], OverdueNotifier | None] | None = None,
        tick_s: float = 60.0,
        overdue_after: timedelta = DEFAULT_OVERDUE_AFTER,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self._notifier = notifier
        self.tick_s = tick_s
        self.overdue_after = overdue_after
        self.clock = clock
        self._scheduler: BackgroundScheduler | None = None

    def notifier(self) -> OverdueNotifier | None:
        """The notifier now (a callable is asked at every tick, so one can be attached later)."""
        n = self._notifier
        if n is None or hasattr(n, "notify_overdue"):
            return cast("OverdueNotifier | None", n)
        return cast("Callable[[], OverdueNotifier | None]", n)()

    def tick(self, now: datetime | None = None) -> TickResult:
        """One pass: create due tasks, then claim and notify newly overdue ones."""
        now = now or self.clock()
        with session_scope(self.sessions) as s:
            due = due_occurrences(s, now)
        created: list[int] = []
        if due:
            with session_scope(self.sessions) as s:
                created = insert_tasks(s, due)
        with session_scope(self.sessions) as s:
            candidates = overdue_candidates(s, now, self.overdue_after)
        overdue: list[OverdueTask] = []
        if candidates:
            with session_scope(self.sessions) as s:
                overdue = claim_overdue(s, candidates, now)
        result = TickResult(created=created, overdue=overdue)
        if overdue:
            log.warning(
                "cleaning: %d task(s) overdue: %s", len(overdue), ", ".join(f"{o.kind}@{o.code}" for o in overdue)
            )
            notifier = self.notifier()
            if notifier is not None:
                try:
                    notifier.notify_overdue(overdue)
                except Exception:  # a broken notifier must not stop the scheduler; the task stays recorded
                    log.exception("cleaning: overdue notifier failed")
        return result

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("cleaning: scheduler tick failed; will retry")

    def start(self) -> None:
        """Start the background thread; the first tick runs immediately (catch-up after a restart)."""
        if self._scheduler is not None:
            return
        sched = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
        sched.add_job(
            self._safe_tick,
            IntervalTrigger(seconds=self.tick_s),
            id=JOB_ID,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
            misfire_grace_time=None,
        )
        sched.start()
        self._scheduler = sched

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)


def install(app: Any, *, tick_s: float = 60.0, overdue_after: timedelta = DEFAULT_OVERDUE_AFTER) -> CleaningScheduler:
    """Attach a scheduler to a FastAPI app: started on startup, stopped on shutdown, found at
    ``app.state.cleaning_scheduler``; the notifier is read from ``app.state.overdue_notifier`` at each tick."""
    sched = CleaningScheduler(
        app.state.sessions,
        notifier=lambda: getattr(app.state, "overdue_notifier", None),
        tick_s=tick_s,
        overdue_after=overdue_after,
    )
    app.state.cleaning_scheduler = sched
    run_with_app(app, sched.start, sched.shutdown)
    return sched
