"""Holding the stream while a stream consumer is too far behind, so a burst cannot grow its queue without bound."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from collector.metrics import Counters
from collector.ratelog import LogOnce
from collector.reading import StreamConsumer


class Backpressure:
    """Waits, before each chunk is handed over, while a consumer's ``backlog()`` exceeds ``limit``.

    Each wait is bounded by ``max_wait_s``: a stuck consumer must not stop readings reaching InfluxDB.
    Smoke is never held (the caller does not wait for urgent chunks).
    """

    def __init__(
        self,
        limit: int,
        max_wait_s: float,
        counters: Counters,
        log_once: LogOnce,
        running: Callable[[], bool] = lambda: True,
    ) -> None:
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.counters = counters
        self.log_once = log_once
        self.running = running

    def wait(self, consumers: Sequence[StreamConsumer]) -> None:
        """Return once every consumer is within the limit, or the wait took ``max_wait_s``."""
        start = 0.0
        for c in consumers:
            name = type(c).__name__
            try:
                while c.backlog() > self.limit and self.running():
                    now = time.monotonic()
                    if not start:
                        start = now
                        self.counters.consumer_waits_total += 1
                    elif now - start >= self.max_wait_s:
                        self.log_once(
                            name,
                            "backlog",
                            "stream consumer %s is %d readings behind; ingestion goes on without waiting for it",
                            name,
                            c.backlog(),
                        )
                        break
                    time.sleep(0.002)
            except Exception as e:
                self.log_once(name, "backlog", "backlog() of %s raised %s", name, e)
        if start:
            self.counters.consumer_wait_s += time.monotonic() - start
