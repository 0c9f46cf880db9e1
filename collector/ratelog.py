"""Warnings at most once per (who, what) per minute: a misbehaving node must not flood the log."""

from __future__ import annotations

import logging
import time
from typing import Any

LOG_EVERY_S = 60.0
# Keys remembered before the memory is cleared (a flood of distinct topics cannot grow it).
MAX_KEYS = 10_000


class LogOnce:
    """Logs a warning for a (who, what) pair unless it was logged within ``every_s``."""

    def __init__(self, log: logging.Logger, every_s: float = LOG_EVERY_S) -> None:
        self.log = log
        self.every_s = every_s
        self._times: dict[tuple[str, str], float] = {}

    def __call__(self, who: str, what: str, fmt: str, *args: Any) -> None:
        key = (who, what)
        now = time.monotonic()
        if now - self._times.get(key, -self.every_s) >= self.every_s:
            if len(self._times) > MAX_KEYS:
                self._times.clear()
            self._times[key] = now
            self.log.warning(fmt, *args)
