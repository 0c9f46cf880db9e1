"""Bounded store of rejected messages (and lines InfluxDB refused) an administrator can list."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from inventory.privatefiles import touch_private

# Payloads are kept for diagnosis, not replay: the head is enough.
MAX_PAYLOAD_KEPT = 2048


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One rejected message."""

    ts_ms: int
    reason: str
    device_id: str | None
    topic: str
    detail: str
    payload: bytes
    id: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (payload as text, undecodable bytes replaced)."""
        return {
            "id": self.id,
            "ts_ms": self.ts_ms,
            "reason": self.reason,
            "device": self.device_id,
            "topic": self.topic,
            "detail": self.detail,
            "payload": self.payload.decode("utf-8", "replace"),
        }


class DeadLetterStore:
    """SQLite file in the state directory keeping the newest ``max_items`` rejects."""

    def __init__(self, path: Path, max_items: int = 10000) -> None:
        touch_private(path)  # 0600, and so its -wal and -shm files
        self.path = path
        self.max_items = max_items
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS letters (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL,"
            " reason TEXT NOT NULL, device TEXT, topic TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS letters_reason ON letters (reason, id)")
        self.count = int(self._db.execute("SELECT count(*) FROM letters").fetchone()[0])

    def add_many(self, letters: Iterable[DeadLetter]) -> int:
        """Store letters in one transaction, dropping the oldest beyond the bound; returns how many were added."""
        rows = [
            (d.ts_ms, d.reason, d.device_id, d.topic[:500], d.detail[:1000], d.payload[:MAX_PAYLOAD_KEPT])
            for d in letters
        ]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO letters (ts_ms, reason, device, topic, detail, payload) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
            self.count += len(rows)
            if self.count > self.max_items:
                self._db.execute("DELETE FROM letters WHERE id <= (SELECT max(id) FROM letters) - ?", (self.max_items,))
                self.count = int(self._db.execute("SELECT count(*) FROM letters").fetchone()[0])
            self._db.execute("COMMIT")
        return len(rows)

    def list(self, reason: str | None = None, limit: int = 50) -> list[DeadLetter]:
        """Newest first, optionally only one reason."""
        q = "SELECT id, ts_ms, reason, device, topic, detail, payload FROM letters"
        args: tuple[object, ...] = ()
        if reason:
            q += " WHERE reason = ?"
            args = (reason,)
        q += " ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(q, (*args, limit)).fetchall()
        return [DeadLetter(r[1], r[2], r[3], r[4], r[5], bytes(r[6]), r[0]) for r in rows]

    def counts(self) -> dict[str, int]:
        """Stored letters per reason."""
        with self._lock:
            rows = self._db.execute("SELECT reason, count(*) FROM letters GROUP BY reason").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
