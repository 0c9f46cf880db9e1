"""Batches line protocol to InfluxDB on its own thread; spools on failure; acknowledges only after either."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from collector.deadletter import DeadLetter, DeadLetterStore
from collector.decoders.types import INFLUX_REJECTED
from collector.influx import DatabaseNotFound, InfluxClient, InfluxError, InfluxRejected, InfluxUnavailable
from collector.spool import Spool

log = logging.getLogger(__name__)

# An opaque acknowledgement token handed back to the caller once its lines are durable.
AckFn = Callable[[list[Any]], None]

# Flush as soon as the stream pauses this long (low latency at low rates, big batches at high rates).
PAUSE_FLUSH_S = 0.02
LIVE_RETRIES = (0.1, 0.4)
BACKOFF_MAX_S = 5.0


class Writer:
    """Accumulates ``(lines, acks)`` chunks into batches of ≤ ``batch_max_lines`` or ``flush_interval_s``."""

    def __init__(
        self,
        client: InfluxClient,
        spool: Spool,
        deadletters: DeadLetterStore,
        ack: AckFn,
        *,
        batch_max_lines: int = 5000,
        flush_interval_s: float = 1.0,
        ack_threshold: int = 10000,
        ensure_database: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.spool = spool
        self.deadletters = deadletters
        self._ack = ack
        self.batch_max_lines = max(1, batch_max_lines)
        self.flush_interval_s = flush_interval_s
        self.ack_threshold = max(1, ack_threshold)
        self._ensure_database = ensure_database
        self._in: deque[tuple[Sequence[str], Sequence[Any]]] = deque()
        self._cv = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._busy = False
        self._down = False
        self._backoff = 0.5
        self._next_probe = 0.0
        self.written_total = 0
        self.spooled_total = 0
        self.influx_rejected_total = 0
        self.write_errors_total = 0
        self.last_write_ms = 0
        self.last_error = ""

    # -- producer side -------------------------------------------------------------------------
    def submit(self, lines: Sequence[str], acks: Sequence[Any]) -> None:
        """Queue lines and the acks to send once they are written or spooled (thread-safe, never blocks)."""
        with self._cv:
            self._in.append((lines, acks))
            self._cv.notify()

    @property
    def influx_reachable(self) -> bool:
        """False after a failed write until a write succeeds again."""
        return not self._down

    def mark_unreachable(self, reason: str) -> None:
        """Start in the 'InfluxDB down' state (spool first, probe with backoff)."""
        self._failed(InfluxUnavailable(reason), True)

    def idle(self, include_spool: bool = True) -> bool:
        """Nothing queued, nothing being written (and, with ``include_spool``, the spool empty)."""
        with self._cv:
            quiet = not self._in and not self._busy
        return quiet and (not include_spool or self.spool.entries == 0)

    def start(self) -> None:
        """Start the writer thread."""
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="kho-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Write or spool what is queued, acknowledge it, and end the thread."""
        with self._cv:
            self._stop = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    # -- writer thread -------------------------------------------------------------------------
    def _run(self) -> None:
        lines: list[str] = []
        acks: list[Any] = []
        first = 0.0
        while True:
            with self._cv:
                if not self._in and not self._stop:
                    if lines or acks:
                        wait = min(PAUSE_FLUSH_S, max(0.0, first + self.flush_interval_s - time.monotonic()))
                    elif self.spool.entries and not self._down:
                        wait = 0.0
                    elif self.spool.entries:
                        wait = max(0.0, self._next_probe - time.monotonic())
                    else:
                        wait = 1.0
                    if wait > 0:
                        self._cv.wait(wait)
                paused = not self._in
                while self._in:
                    ls, ak = self._in.popleft()
                    if not lines and not acks:
                        first = time.monotonic()
                    lines.extend(ls)
                    acks.extend(ak)
                stopping = self._stop
                self._busy = bool(lines or acks)
            try:
                due = (
                    len(lines) >= self.batch_max_lines
                    or len(acks) >= self.ack_threshold
                    or paused
                    or time.monotonic() - first >= self.flush_interval_s
                    or stopping
                )
                if (lines or acks) and due:
                    self._flush(lines, acks, stopping)
                    lines, acks = [], []
                if self.spool.entries and not stopping and time.monotonic() >= self._next_probe:
                    self._drain_one()
            except Exception:  # the writer must survive anything; the batch is retried
                log.exception("writer error (will retry)")
                time.sleep(0.5)
            finally:
                with self._cv:
                    self._busy = bool(lines or acks)
            if stopping and not lines and not acks:
                with self._cv:
                    if not self._in:
                        return

    def _flush(self, lines: list[str], acks: list[Any], stopping: bool) -> None:
        for i in range(0, len(lines), self.batch_max_lines):
            part = lines[i : i + self.batch_max_lines]
            body = "\n".join(part).encode()
            if self.spool.entries == 0 and not self._down and self._write_live(body, len(part)):
                continue
            while not self.spool.append(body, len(part)):
                # Spool full: keep the messages unacknowledged (the broker holds them) and keep draining.
                if stopping:
                    return
                if time.monotonic() >= self._next_probe:
                    self._drain_one()
                time.sleep(0.2)
            self.spooled_total += len(part)
        if acks:
            self._ack(acks)

    def _write_live(self, body: bytes, n: int) -> bool:
        """Write with a few quick retries; False means: spool it."""
        for attempt, pause in enumerate((*LIVE_RETRIES, None)):
            try:
                self._write(body, n)
                return True
            except InfluxUnavailable as e:
                self._failed(e, attempt == len(LIVE_RETRIES))
                if pause is None:
                    return False
                time.sleep(pause)
        return False

    def _write(self, body: bytes, n: int) -> None:
        """Write; a refused batch is bisected so only the refused lines are dead-lettered."""
        try:
            self.client.write_lines(body)
        except DatabaseNotFound:
            if self._ensure_database is None:
                raise InfluxUnavailable("database not found") from None
            self._ensure_database()
            self.client.write_lines(body)
        except InfluxRejected as e:
            self._rejected(body, str(e))
        self.written_total += n
        self.last_write_ms = int(time.time() * 1000)
        if self._down:
            log.info("InfluxDB is reachable again")
        self._down = False
        self._backoff = 0.5

    def _rejected(self, body: bytes, error: str) -> None:
        lines = body.split(b"\n")
        if len(lines) == 1:
            self.influx_rejected_total += 1
            self.deadletters.add_many(
                [DeadLetter(int(time.time() * 1000), INFLUX_REJECTED, _device_of(body), "(influx write)", error, body)]
            )
            return
        mid = len(lines) // 2
        for half in (lines[:mid], lines[mid:]):
            piece = b"\n".join(half)
            try:
                self.client.write_lines(piece)
            except InfluxRejected as e:
                self._rejected(piece, str(e))

    def _failed(self, e: InfluxError, final: bool) -> None:
        self.write_errors_total += 1
        self.last_error = str(e)
        if final:
            if not self._down:
                log.warning("InfluxDB write failed, spooling to disk until it returns: %s", e)
            self._down = True
            self._next_probe = time.monotonic() + self._backoff
            self._backoff = min(BACKOFF_MAX_S, self._backoff * 2)

    def _drain_one(self) -> None:
        """Replay the oldest spooled batches (merged up to ``batch_max_lines``) in one write."""
        batches = self.spool.peek_many(self.batch_max_lines)
        if not batches:
            return
        body = b"\n".join(b for _, b, _ in batches)
        try:
            self._write(body, sum(n for _, _, n in batches))
        except InfluxUnavailable as e:
            self._failed(e, True)
            return
        for batch_id, _, _ in batches:
            self.spool.delete(batch_id)
        if self.spool.entries == 0:
            log.info("spool drained")


def _device_of(line: bytes) -> str | None:
    """The ``device`` tag of a line, for the dead-letter listing."""
    i = line.find(b"device=")
    if i < 0:
        return None
    j = i + 7
    end = j
    while end < len(line) and line[end : end + 1] not in (b",", b" "):
        end += 2 if line[end : end + 1] == b"\\" else 1
    return line[j:end].decode("utf-8", "replace")
