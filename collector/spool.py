"""Durable on-disk spool of line-protocol batches for when InfluxDB is unreachable (SQLite, FIFO)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from inventory.privatefiles import touch_private

log = logging.getLogger(__name__)


class Spool:
    """Batches in arrival order; ``append`` is durable when it returns (the MQTT ack follows it).

    The size cap is enforced on append: a full spool refuses the batch (the caller keeps it unacknowledged,
    so the broker holds the messages) and logs one clear warning.
    """

    def __init__(self, path: Path, max_bytes: int) -> None:
        touch_private(path)  # 0600, and so its -wal and -shm files
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged reading must survive a power cut, not only a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, lines INTEGER NOT NULL,"
            " body BLOB NOT NULL)"
        )
        row = self._db.execute(
            "SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(length(body)), 0) FROM batches"
        ).fetchone()
        self.entries, self.depth, self.bytes = int(row[0]), int(row[1]), int(row[2])
        self.full_warned = False

    def append(self, body: bytes, lines: int) -> bool:
        """Store a batch; False (and a warning, once per episode) when the cap would be exceeded."""
        with self._lock:
            if self.bytes + len(body) > self.max_bytes:
                if not self.full_warned:
                    log.warning(
                        "spool %s is full (%.1f MB of %.1f MB): new readings stay unacknowledged at the broker "
                        "until InfluxDB is back; raise collector.spool_max_mb if the outage may last longer",
                        self.path,
                        self.bytes / 1e6,
                        self.max_bytes / 1e6,
                    )
                    self.full_warned = True
                return False
            self._db.execute("INSERT INTO batches (lines, body) VALUES (?, ?)", (lines, body))
            self.entries += 1
            self.depth += lines
            self.bytes += len(body)
            return True

    def peek(self) -> tuple[int, bytes, int] | None:
        """The oldest batch as ``(id, body, lines)`` or None."""
        with self._lock:
            row = self._db.execute("SELECT id, body, lines FROM batches ORDER BY id LIMIT 1").fetchone()
        return (int(row[0]), bytes(row[1]), int(row[2])) if row else None

    def peek_many(self, max_lines: int) -> list[tuple[int, bytes, int]]:
        """The oldest batches, at least one, together at most ``max_lines`` lines (replay in big writes)."""
        with self._lock:
            rows = self._db.execute("SELECT id, body, lines FROM batches ORDER BY id LIMIT 64").fetchall()
        out: list[tuple[int, bytes, int]] = []
        total = 0
        for r in rows:
            if out and total + int(r[2]) > max_lines:
                break
            out.append((int(r[0]), bytes(r[1]), int(r[2])))
            total += int(r[2])
        return out

    def delete(self, batch_id: int) -> None:
        """Drop a batch once it is written to InfluxDB."""
        with self._lock:
            row = self._db.execute("SELECT lines, length(body) FROM batches WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                return
            self._db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
            self.entries -= 1
            self.depth -= int(row[0])
            self.bytes -= int(row[1])
            if self.bytes < self.max_bytes * 0.9:
                self.full_warned = False

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
