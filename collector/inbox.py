"""Received messages waiting for the processing thread: smoke first, with a bound on memory.

paho's network thread appends (one call per socket read); the processing thread takes chunks. Above
``INBOX_HIGH`` the network thread stops reading until the processing thread has brought the inbox down to
``INBOX_LOW`` (the broker keeps the rest). Smoke read before the pause still overtakes the backlog.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from collector.metrics import Counters
from collector.mqttclient import Publish
from collector.pipeline import Inbound

INBOX_HIGH = 10_000
INBOX_LOW = 5_000


class Inbox:
    """Two queues (urgent: those the smoke hint picked, normal: the rest) and the read gate."""

    def __init__(self, smoke_hint: Callable[[str, bytes], bool], counters: Counters) -> None:
        self.smoke_hint = smoke_hint
        self.counters = counters
        self.normal: deque[Inbound] = deque()
        self.urgent: deque[Inbound] = deque()
        self.wake = threading.Event()
        self._drained = threading.Event()
        self._drained.set()

    def __len__(self) -> int:
        return len(self.normal) + len(self.urgent)

    def put(self, gen: int, batch: list[Publish]) -> None:
        """Queue one read's worth of messages of connection ``gen`` (paho's thread: hand off only)."""
        urgent = False
        items = []
        hint = self.smoke_hint
        for mid, topic, payload, retain, qos in batch:
            if hint(topic, payload):
                self.urgent.append((gen, mid, topic, payload, retain, qos))
                urgent = True
            else:
                items.append((gen, mid, topic, payload, retain, qos))
        self.normal.extend(items)
        if urgent or not self.wake.is_set():
            self.wake.set()

    def take(self, n: int) -> tuple[list[Inbound], bool]:
        """Up to ``n`` messages, urgent ones first; True when they came from the normal queue."""
        source = self.urgent if self.urgent else self.normal
        chunk = [source.popleft() for _ in range(min(n, len(source)))]
        if len(self.normal) <= INBOX_LOW and not self._drained.is_set():
            self._drained.set()
        return chunk, source is self.normal

    def may_read(self) -> bool:
        """The network thread's gate: once the inbox reached INBOX_HIGH, wait (briefly, so PUBACKs and keepalive
        go on) until the processing thread has brought it down to INBOX_LOW."""
        if self._drained.is_set():
            if len(self.normal) < INBOX_HIGH:
                return True
            self._drained.clear()
            self.counters.read_pauses_total += 1
        return self._drained.wait(0.01)
