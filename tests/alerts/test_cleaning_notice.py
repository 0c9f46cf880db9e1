"""Overdue cleaning tasks reach the site's managers through the alert channels, once, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from alerts.cleaning_notice import OverdueCleaningNotifier
from alerts.engine import AlertEngine
from inventory.cleaning import OverdueTask

from .conftest import HttpReceiver, add_webhook_contact, deliveries, make_registry


def _task(task_id: int, kind: str = "dusting") -> OverdueTask:
    return OverdueTask(
        task_id=task_id,
        schedule_id=1,
        kind=kind,
        scope="room",
        code="HN-P1",
        site="HN",
        room="P1",
        due_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        assignee="thukho",
    )


def test_overdue_cleaning_goes_to_managers_only_once(
    sessions: sessionmaker[Session],
    http_receiver: Callable[..., HttpReceiver],
    make_engine: Callable[..., AlertEngine],
) -> None:
    make_registry(sessions)
    keeper, manager = http_receiver(), http_receiver()
    add_webhook_contact(sessions, keeper.url, tier=1, name="keeper")
    add_webhook_contact(sessions, manager.url, tier=2, name="manager")
    engine = make_engine(sessions, time.time)  # its delivery worker sends the queued rows
    notifier = OverdueCleaningNotifier(sessions)
    notifier.notify_overdue([_task(7), _task(8, "pest_inspection")])
    notifier.notify_overdue([_task(7), _task(8, "pest_inspection")])  # the same tasks again: deduplicated
    got = manager.wait_for(1)
    assert len(got) == 1
    body = got[0].json()
    assert body["kind"] == "cleaning_overdue" and [t["task_id"] for t in body["tasks"]] == [7, 8]
    assert "quá hạn" in body["subject"] and "kiểm tra côn trùng" in body["text"] and "thukho" in body["text"]
    assert engine.worker.wait_idle()
    assert keeper.requests == [] and len(manager.requests) == 1
    assert [d.status for d in deliveries(sessions)] == ["sent"]


def test_site_without_managers_tells_every_contact_and_never_raises(
    sqlite_sessions: sessionmaker[Session],
    webhook: HttpReceiver,
    make_engine: Callable[..., AlertEngine],
) -> None:
    make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url, tier=1, language="en")
    make_engine(sqlite_sessions, time.time)
    notifier = OverdueCleaningNotifier(sqlite_sessions)
    notifier.notify_overdue([_task(3, "floor")])
    body = webhook.wait_for(1)[0].json()
    assert "overdue" in body["subject"] and "floor cleaning" in body["text"]
    broken = OverdueCleaningNotifier(None)  # type: ignore[arg-type]
    broken.notify_overdue([_task(4)])  # logged, not raised: the cleaning scheduler keeps running
