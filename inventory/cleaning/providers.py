"""What the cleaning scheduler needs from outside: somebody to tell about overdue tasks.

The alerts package (or the composition root) may put an ``OverdueNotifier`` on ``app.state.overdue_notifier``;
without one, overdue tasks are still recorded (``overdue_notified_at``) and shown on the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OverdueTask:
    """An overdue cleaning task, with enough context for a message to the manager."""

    task_id: int
    schedule_id: int
    kind: str  # floor | dusting | pest_inspection | disinfection
    scope: str  # "room" or "unit"
    code: str  # room code (SITE-ROOM) or shelving unit code
    site: str
    room: str
    due_at: datetime
    assignee: str


class OverdueNotifier(Protocol):
    """Receives each overdue task once (across all app processes); must return fast and not raise."""

    def notify_overdue(self, tasks: Sequence[OverdueTask]) -> None: ...
