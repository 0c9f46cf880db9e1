"""Overdue cleaning tasks told to a site's managers through the alert channels (the delivery outbox).

Set as ``app.state.overdue_notifier`` by the composition root; the cleaning scheduler calls it once per
overdue task. Rows are queued here and sent (with retries) by the delivery worker of the alert engine.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from alerts import messages, store
from inventory.db import session_scope
from inventory.timezone import site_zone

log = logging.getLogger(__name__)

MANAGER_TIER = 2


class OverdueCleaningNotifier:
    """Queues one message per site and manager contact (tier ≥ 2; every contact when a site has none)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def notify_overdue(self, tasks: Sequence[Any]) -> None:
        """Queue the messages; never raises (the scheduler must keep running)."""
        try:
            self._queue(tasks)
        except Exception:
            log.warning("could not queue overdue-cleaning notifications", exc_info=True)

    def _queue(self, tasks: Sequence[Any]) -> None:
        by_site: dict[str, list[Any]] = defaultdict(list)
        for t in tasks:
            by_site[t.site].append(t)
        now = datetime.now(UTC)
        with session_scope(self.sessions) as s:
            for site, site_tasks in by_site.items():
                contacts = store.contacts_for(s, site)
                managers = [c for c in contacts if c.tier >= MANAGER_TIER] or contacts
                if not managers:
                    log.warning("overdue cleaning at site %s: no contact to tell", site)
                ids = ",".join(str(t.task_id) for t in site_tasks)
                tz = site_zone(s, site)
                for c in managers:
                    subject, text = messages.cleaning_overdue(site, site_tasks, c.language, tz)
                    store.enqueue_delivery(
                        s,
                        f"cleaning:{c.id}:{ids}",
                        None,
                        c,
                        "cleaning",
                        subject,
                        text,
                        {"kind": "cleaning_overdue", "site": site, "tasks": [_task_payload(t) for t in site_tasks]},
                        now,
                    )


def _task_payload(t: Any) -> dict[str, Any]:
    return {
        "task_id": t.task_id,
        "kind": t.kind,
        "code": t.code,
        "room": t.room,
        "due_at": t.due_at.isoformat(),
        "assignee": t.assignee,
    }
