"""Cleaning scheduler: turns schedules into tasks, completes them by scanning, detects overdue tasks."""

from inventory.cleaning.providers import OverdueNotifier, OverdueTask
from inventory.cleaning.recurrence import latest_due, next_due
from inventory.cleaning.scheduler import CleaningScheduler, install
from inventory.cleaning.tasks import (
    TickResult,
    complete_task_by_scan,
    create_due_tasks,
    mark_overdue,
)

__all__ = [
    "CleaningScheduler", "OverdueNotifier", "OverdueTask", "TickResult", "complete_task_by_scan",
    "create_due_tasks", "install", "latest_due", "mark_overdue", "next_due",
]
