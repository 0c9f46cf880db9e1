"""Cleaning scheduler: turns schedules into tasks, completes them by scanning, detects overdue tasks."""

from inventory.cleaning.providers import OverdueNotifier, OverdueTask
from inventory.cleaning.recurrence import latest_due, next_due
from inventory.cleaning.scheduler import CleaningScheduler, install
from inventory.cleaning.tasks import (
    TickResult,
    claim_overdue,
    complete_task_by_scan,
    create_due_tasks,
    due_occurrences,
    insert_tasks,
    mark_overdue,
    overdue_candidates,
)

__all__ = [
    "CleaningScheduler",
    "OverdueNotifier",
    "OverdueTask",
    "TickResult",
    "claim_overdue",
    "complete_task_by_scan",
    "create_due_tasks",
    "due_occurrences",
    "insert_tasks",
    "install",
    "latest_due",
    "mark_overdue",
    "next_due",
    "overdue_candidates",
]
