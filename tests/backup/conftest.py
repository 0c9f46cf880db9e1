"""Backup and database-restart helpers: a seeded registry, keepers moving boxes, readings flowing, table dumps."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from alerts import store as alert_store
from alerts.models import Alert
from inventory import auth, registry
from inventory import services as sv
from inventory.db import session_scope

from ..collector.conftest import Publisher
from ..inventory.conftest import fast_password_hashing  # noqa: F401 (autouse fixture)

SLOTS = [f"K1-G01-T{s}-V0{v}" for s in (1, 2) for v in (1, 2, 3)]


def png_bytes() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def seed_world(sessions: sessionmaker[Session], state_dir: Any) -> list[str]:
    """Site HN/K1 with 12 slots, 8 boxes placed, two nodes, a contact, an alert, a damage photo; box codes."""
    since = datetime.now(UTC) - timedelta(days=1)
    with session_scope(sessions) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        room = registry.create_room(s, "HN", "K1", "Phòng kho 1")
        sv.create_shelving(s, "HN", "K1", 1, shelves=2, slots_per_shelf=3, capacity_boxes=10)
        sv.create_fonds(s, "P12", "UBND huyện Đông Anh")
        codes = []
        for n in range(1, 9):
            files = [sv.FileIn(1, f"Hồ sơ đất đai xã {n}"), sv.FileIn(2, "Báo cáo tổng kết năm", retention_years=10)]
            b = sv.create_box(s, sv.BoxIn("P12", 3, n, title=f"Hộp {n}", files=files), "seed")
            sv.place_box(s, b, SLOTS[n % len(SLOTS)], "seed")
            codes.append(b.code)
        sv.report_damage(
            s, sv.get_box(s, codes[0]), "water", "seed", photo=png_bytes(), photo_type="image/png", state_dir=state_dir
        )
        registry.add_device(s, "n1", "native", "HN", "K1", has_smoke=True, since=since)
        registry.add_device(s, "n2", "native", "HN", "K1", since=since)
        auth.create_user(s, "thukho", "mật-khẩu-dài-1", "keeper", display_name="Thủ kho")
        alert_store.add_contact(s, "Lan", "HN", "telegram", "123", tier=2)
        s.add(
            Alert(
                open_key=alert_store.open_key("smoke", room.id, "n1"),
                rule="smoke",
                severity="critical",
                state="firing",
                site="HN",
                room="K1",
                room_id=room.id,
                device_id="n1",
                value=1.0,
                details={},
                started_at=since,
                fired_at=since,
                notify_count=1,
                tier=1,
                acknowledged_by="",
                ack_comment="",
                resolve_notified=False,
            )
        )
    return codes


@dataclass
class Keepers:
    """Threads that move boxes between slots through the inventory services, recording each confirmed move."""

    sessions: sessionmaker[Session]
    codes: list[str]
    n: int = 2
    pause_s: float = 0.01
    confirmed: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, event id)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    slot_ids: dict[str, int] = field(default_factory=dict)

    def _work(self, k: int) -> None:
        i = 0
        while not self._stop.is_set():
            code = self.codes[(k + i * self.n) % len(self.codes)]
            i += 1
            try:
                with session_scope(self.sessions) as s:
                    box = sv.get_box(s, code, for_update=True)
                    cur = next((c for c, sid in self.slot_ids.items() if sid == box.current_slot_id), SLOTS[0])
                    target = SLOTS[(SLOTS.index(cur) + 1 + k % 2) % len(SLOTS)]
                    ev = sv.place_box(s, box, target, f"keeper-{k}")
                    s.flush()
                    ev_id = ev.id
                with self._lock:
                    self.confirmed.append((time.monotonic(), ev_id))
            except Exception as e:  # recorded: the tests decide which failures are acceptable
                with self._lock:
                    self.errors.append(f"{type(e).__name__}: {e}")
            self._stop.wait(self.pause_s)  # a keeper's pace

    def start(self) -> None:
        with self.sessions() as s:
            self.slot_ids = {code: sv.get_slot(s, code).id for code in SLOTS}
        for k in range(self.n):
            t = threading.Thread(target=self._work, args=(k,), daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def confirmed_before(self, t: float) -> set[int]:
        with self._lock:
            return {ev for at, ev in self.confirmed if at < t}


@dataclass
class Readings:
    """A thread publishing native readings (QoS 1) for n1 and n2, 1 ms apart, until stopped."""

    port: int
    rate_hz: float = 200.0
    # within the collector's skew window (300 s), so each reading keeps its own timestamp
    t0_ms: int = field(default_factory=lambda: int(time.time() * 1000) - 120_000)
    sent: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    pub: Publisher | None = None

    def publish(self, n: int) -> None:
        assert self.pub is not None
        for _ in range(n):
            dev = "n1" if self.sent % 2 == 0 else "n2"
            ts = (self.t0_ms + self.sent) / 1000
            self.pub.publish(
                f"kho/{dev}/telemetry", orjson.dumps({"ts": ts, "temperature_c": 20 + self.sent % 50 / 10})
            )
            self.sent += 1

    def start(self) -> None:
        self.pub = self.pub or Publisher(self.port)

        def run() -> None:
            while not self._stop.is_set():
                self.publish(10)
                self._stop.wait(10 / self.rate_hz)  # the nodes' pace

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def close(self) -> None:
        if self.pub is not None:
            self.pub.close()


def dump_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, ordered by primary key (or all columns)."""
    md = MetaData()
    md.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in md.tables.items():
            order = list(table.primary_key.columns) or list(table.columns)
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


Waiter = Callable[[Callable[[], Any], float, str], None]


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary directory, run as user ``postgres``) on a free port,
    so a test can stop and start it without touching the machine's cluster other tests use."""

    def __init__(self) -> None:
        import glob
        import os
        import shutil
        import tempfile

        from kho.localservers import free_port

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            pytest.fail("PostgreSQL server binaries not found: apt-get install postgresql")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="kho-pg-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self._run("initdb", "-D", f"{self.dir}/data", "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        import subprocess

        argv = ["runuser", "-u", "postgres", "--", f"{self.bin}/{tool}", *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, f"{tool} failed: {proc.stderr or proc.stdout}"

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/log", "-w", "-o", opts, "start")

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` is a crash as far as the database is concerned: recovery replays the WAL at start."""
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        import contextlib
        import shutil

        with contextlib.suppress(AssertionError):
            self.stop("fast")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Any:
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.remove()
