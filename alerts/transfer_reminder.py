"""Reminders of the archival deadlines.

The yearly due-transfer reminder: in the configured month, each organisation's heads of archive (its alert
contacts of tier ≥ 2: contacts whose site is the organisation's code, or ``*``) hear how many files it must
transfer this year and how many are overdue. The same contacts are warned when a destruction record is due
within the warning period, and again when it is late. Messages go to the delivery outbox once per organisation
and year (or record and phase) and contact, by their dedupe key, so running the checks often is harmless."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.models import Delivery
from inventory.archival.destruction import record_deadlines
from inventory.archival.due import due_files, due_summary
from inventory.archival.models import DestructionReview, Organisation, OrgKind
from inventory.archival.orgs import list_organisations
from inventory.archival.settings import ArchivalSettings
from inventory.db import session_scope
from inventory.lifespan import run_with_app

log = logging.getLogger(__name__)

HEAD_TIER = 2


def _message(org_name: str, year: int, summary: dict[str, int], lang: str) -> tuple[str, str]:
    if lang == "en":
        return (
            f"{org_name}: {summary['files']} files due for transfer in {year}",
            f"{org_name} must transfer {summary['files']} files ({summary['boxes']} boxes) by 31/12/{year}; "
            f"{summary['overdue']} are overdue. See the due list in kho (Transfers).",
        )
    return (
        f"{org_name}: {summary['files']} hồ sơ đến hạn giao nộp năm {year}",
        f"{org_name} phải giao nộp {summary['files']} hồ sơ ({summary['boxes']} hộp) trước 31/12/{year}; "
        f"trong đó {summary['overdue']} hồ sơ đã quá hạn. Xem danh sách đến hạn trong kho (Giao nộp).",
    )


class DueTransferReminder:
    """Queues the yearly reminders; ``run`` does the work, ``start`` checks once an hour in a daemon thread."""

    def __init__(self, sessions: sessionmaker[Session], cfg: ArchivalSettings) -> None:
        self.sessions = sessions
        self.cfg = cfg
        self._stop = threading.Event()

    def run(self, today: date, *, force: bool = False) -> int:
        """Queue this year's reminders (only in the reminder month unless ``force``); returns how many."""
        if not force and today.month != self.cfg.reminder_month:
            return 0
        queued = 0
        now = datetime.now(UTC)
        with session_scope(self.sessions) as s:
            for org in list_organisations(s):
                if org.kind == OrgKind.HISTORICAL_ARCHIVE or org.ended_on is not None:
                    continue
                summary = due_summary(due_files(s, org, today.year, today, self.cfg))
                if not summary["files"]:
                    continue
                heads = [c for c in store.contacts_for(s, org.code) if c.tier >= HEAD_TIER]
                if not heads:
                    log.warning("files due for transfer at %s: no head-of-archive contact to tell", org.code)
                for c in heads:
                    key = f"transfer-due:{org.code}:{today.year}:{c.id}"
                    if s.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)) is not None:
                        continue
                    subject, text = _message(org.name, today.year, summary, c.language)
                    payload = {"kind": "transfer_due", "organisation": org.code, "year": today.year, **summary}
                    store.enqueue_delivery(s, key, None, c, "transfer_due", subject, text, payload, now)
                    queued += 1
        return queued

    def warn_destruction_deadlines(self, today: date) -> int:
        """Queue a warning when a destruction record is due within the warning period, and again once it is late
        (one message each per record and contact)."""
        queued = 0
        now = datetime.now(UTC)
        with session_scope(self.sessions) as s:
            for w in record_deadlines(s, today, self.cfg):
                org_code = s.scalar(
                    select(Organisation.code)
                    .join(DestructionReview, DestructionReview.organisation_id == Organisation.id)
                    .where(DestructionReview.code == w.code)
                )
                phase = "late" if w.days_left < 0 else "soon"
                for c in [c for c in store.contacts_for(s, org_code or "") if c.tier >= HEAD_TIER]:
                    key = f"destruction-deadline:{w.code}:{phase}:{c.id}"
                    if s.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)) is not None:
                        continue
                    due = w.record_due.strftime("%d/%m/%Y")
                    if c.language == "en":
                        subject = f"Destruction record {w.code}: " + ("late" if phase == "late" else "due soon")
                        text = f"The destruction record {w.code} of {w.organisation} must be signed by {due}."
                    else:
                        subject = f"Biên bản hủy {w.code}: " + ("quá hạn" if phase == "late" else "sắp hết hạn")
                        text = f"Biên bản hủy tài liệu {w.code} của {w.organisation} phải ký trước {due}."
                    payload = {"kind": "destruction_deadline", "code": w.code, "days_left": w.days_left}
                    store.enqueue_delivery(s, key, None, c, "destruction", subject, text, payload, now)
                    queued += 1
        return queued

    def start(self, interval_s: float = 3600.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.run(date.today())
                    self.warn_destruction_deadlines(date.today())
                except Exception:
                    log.warning("due-transfer reminder failed", exc_info=True)

        threading.Thread(target=loop, name="kho-transfer-reminder", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def install(app: Any, cfg: ArchivalSettings) -> DueTransferReminder:
    """Run the reminder check hourly while the app runs (found at ``app.state.transfer_reminder``)."""
    reminder = DueTransferReminder(app.state.sessions, cfg)
    app.state.transfer_reminder = reminder
    run_with_app(app, reminder.start, reminder.stop)
    return reminder
