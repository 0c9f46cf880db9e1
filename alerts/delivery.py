"""The delivery worker: sends queued notifications, retries with backoff, stores every outcome.

Deliveries are rows (an outbox): enqueueing happens in the same transaction as the alert change, so a
crash loses nothing; a row is claimed (``sending``) before it is sent and marked ``sent`` after, so a
successful delivery is never sent again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts import messages, store
from alerts.models import Delivery, DeliveryStatus
from alerts.notifiers import notifier_class
from alerts.notifiers.base import Message, Notifier, NotifyError
from alerts.urlcheck import loggable
from inventory.db import session_scope

if TYPE_CHECKING:
    from alerts.settings import AlertSettings

log = logging.getLogger(__name__)


def backoff_s(attempts: int, base: float, cap: float) -> float:
    """Delay before retry number ``attempts`` (1, 2, …): exponential, capped."""
    return float(min(cap, base * (2 ** max(attempts - 1, 0))))


class DeliveryWorker:
    """Background sender; ``kick()`` wakes it at once (smoke must not wait for a poll)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        notifiers: dict[str, Notifier],
        *,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 10,
        retry_base_s: float = 2.0,
        retry_max_s: float = 300.0,
        workers: int = 4,
        poll_s: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.notifiers = notifiers
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.poll_s = poll_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kho-notify")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inflight: set[int] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def start(self) -> None:
        """Requeue rows a crash left in ``sending`` (at-least-once), then start the worker thread."""
        with session_scope(self.sessions) as s:
            s.execute(
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.SENDING.value)
                .values(status=DeliveryStatus.QUEUED.value)
            )
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kho-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=False)

    def kick(self) -> None:
        self._wake.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is in flight and nothing is due (tests, CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = bool(self._inflight)
            if not busy and not self._due_ids(limit=1):
                return True
            self.kick()
            time.sleep(0.02)
        return False

    def _due_ids(self, limit: int = 100) -> list[int]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Delivery.id)
                    .where(Delivery.status == DeliveryStatus.QUEUED.value, Delivery.next_attempt_at <= self.now())
                    .order_by(Delivery.id)
                    .limit(limit)
                )
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.process_due()
            except Exception:  # the worker must survive a database hiccup
                log.exception("delivery worker pass failed")
            self._wake.wait(self.poll_s)

    def send_claimed(self, jobs: list[tuple[int, str, str, Message]]) -> None:
        """Send deliveries the caller committed already in ``sending`` state (smoke: no extra round trip)."""
        for did, channel, address, message in jobs:
            with self._lock:
                self._inflight.add(did)
            self._pool.submit(self._send, did, channel, address, message)

    def process_due(self) -> int:
        """Claim and dispatch every due delivery; returns how many were dispatched."""
        return self._dispatch(self._due_ids())

    def _dispatch(self, ids: list[int]) -> int:
        n = 0
        for did in ids:
            with self._lock:
                if did in self._inflight:
                    continue
            with session_scope(self.sessions) as s:
                claimed = s.execute(
                    update(Delivery)
                    .where(Delivery.id == did, Delivery.status == DeliveryStatus.QUEUED.value)
                    .values(status=DeliveryStatus.SENDING.value)
                ).rowcount  # type: ignore[attr-defined]
                row = s.get(Delivery, did) if claimed else None
                job = (row.channel, row.address, Message(row.subject, row.body, row.payload)) if row else None
            if job is None:
                continue
            with self._lock:
                self._inflight.add(did)
            self._pool.submit(self._send, did, *job)
            n += 1
        return n

    def _send(self, did: int, channel: str, address: str, message: Message) -> None:
        error = ""
        permanent = False
        try:
            notifier = self.notifiers.get(channel)
            if notifier is None:
                raise NotifyError(f"no notifier for channel {channel}", permanent=True)
            notifier.send(address, message)
        except NotifyError as e:
            error, permanent = str(e), e.permanent
        except Exception as e:  # a notifier bug must not kill the worker
            error = f"{type(e).__name__}: {e}"
        try:
            self._record(did, error, permanent)
        finally:
            with self._lock:
                self._inflight.discard(did)
            if error and not permanent:
                self._wake.set()

    def _record(self, did: int, error: str, permanent: bool) -> None:
        now = self.now()
        with session_scope(self.sessions) as s:
            row = s.get(Delivery, did)
            if row is None:
                return
            row.attempts += 1
            if not error:
                row.status = DeliveryStatus.SENT.value
                row.sent_at = now
                row.last_error = ""
                return
            row.last_error = error[:2000]
            if permanent or row.attempts >= self.max_attempts:
                row.status = DeliveryStatus.DEAD.value
                log.error("delivery %s to %s %s gave up: %s", did, row.channel, loggable(row.address), error)
            else:
                row.status = DeliveryStatus.QUEUED.value
                row.next_attempt_at = now + timedelta(
                    seconds=backoff_s(row.attempts, self.retry_base_s, self.retry_max_s)
                )
                log.warning("delivery %s to %s failed (attempt %s): %s", did, row.channel, row.attempts, error)


def send_test_message(sessions: sessionmaker[Session], cfg: AlertSettings, contact: str | int, now: datetime) -> str:
    """Send a test message to a contact (id or name) through its channel now, and record the delivery; the error
    text, or "" when it was sent. The page's "send a test message" button and ``kho alerts test-notify`` use it."""
    with sessions() as s:
        who = store.get_contact(s, contact)
        contact_id, name, channel, address, language = who.id, who.name, who.channel, who.address, who.language
    subject, text = messages.test_message(name, language)
    error = ""
    try:
        notifier_class(channel).from_settings(cfg).send(address, Message(subject, text, {"kind": "test", "alerts": []}))
    except NotifyError as e:
        error = str(e)
    except Exception as e:  # a misconfigured channel must give a message, not a server error
        error = f"{type(e).__name__}: {e}"
    with session_scope(sessions) as s:
        s.add(
            Delivery(
                dedupe_key=f"test:{contact_id}:{now.timestamp()}",
                contact_id=contact_id,
                channel=channel,
                address=address,
                kind="test",
                subject=subject,
                body=text,
                payload={},
                attempts=1,
                status=DeliveryStatus.DEAD.value if error else DeliveryStatus.SENT.value,
                next_attempt_at=now,
                last_error=error,
                created_at=now,
                sent_at=None if error else now,
            )
        )
    return error
