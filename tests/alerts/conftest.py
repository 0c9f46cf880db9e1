"""Alerts test fixtures: a fake clock, a registry with one room, real HTTP and SMTP receivers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.engine import AlertEngine
from alerts.settings import AlertSettings
from collector.reading import Reading
from inventory import registry
from inventory.db import session_scope

T0 = 1_790_000_000.0  # 2026-09-21, a fixed start for the fake clock


class FakeClock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, t: float = T0) -> None:
        self.t = t
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.t

    def advance(self, seconds: float) -> float:
        with self._lock:
            self.t += seconds
            return self.t

    @property
    def ms(self) -> int:
        return int(self.t * 1000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A real local HTTP server recording every request; ``fail_next`` makes it answer 503."""

    url: str
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    telegram: bool = False
    arrived: threading.Condition = field(default_factory=threading.Condition)
    times: list[float] = field(default_factory=list)

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < n and time.monotonic() < deadline:
                self.arrived.wait(0.05)
        return list(self.requests)


def _start_receiver(telegram: bool = False) -> HttpReceiver:
    holder: dict[str, HttpReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            rec = holder["r"]
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            if rec.fail_next > 0:
                rec.fail_next -= 1
                self.send_response(503)
                self.end_headers()
                return
            with rec.arrived:
                rec.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                rec.times.append(time.time())
                rec.arrived.notify_all()
            out = b'{"ok": true, "result": {"message_id": 1}}' if rec.telegram else b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_POST = _handle
        do_GET = _handle

        def log_message(self, *a: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec = HttpReceiver(f"http://127.0.0.1:{server.server_address[1]}", server, telegram=telegram)
    holder["r"] = rec
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return rec


@pytest.fixture
def http_receiver() -> Iterator[Callable[..., HttpReceiver]]:
    """Factory of local HTTP receivers (webhook, Telegram-shaped, SMS gateway)."""
    made: list[HttpReceiver] = []

    def make(telegram: bool = False) -> HttpReceiver:
        r = _start_receiver(telegram)
        made.append(r)
        return r

    yield make
    for r in made:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture
def webhook(http_receiver: Callable[..., HttpReceiver]) -> HttpReceiver:
    return http_receiver()


@dataclass
class Room:
    room_id: int
    site: str = "HN"
    room: str = "P1"


def make_registry(sessions: sessionmaker[Session], climate_class: str = "paper") -> Room:
    """Site HN, room P1 with a climate node ``n1`` (60 s) and a smoke node ``s1`` (30 s), placed long ago."""
    from datetime import UTC, datetime

    since = datetime(2020, 1, 1, tzinfo=UTC)
    with session_scope(sessions) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        room = registry.create_room(s, "HN", "P1", "Phòng 1", climate_class)
        registry.add_device(s, "n1", "native", "HN", "P1", interval_s=60, since=since)
        registry.add_device(s, "s1", "native", "HN", "P1", interval_s=30, has_smoke=True, since=since)
        return Room(room.id)


def add_webhook_contact(
    sessions: sessionmaker[Session],
    url: str,
    tier: int = 1,
    name: str = "keeper",
    site: str = "HN",
    language: str = "vi",
) -> int:
    with session_scope(sessions) as s:
        # the stand-in receiver listens on 127.0.0.1, which the webhook address check refuses by default
        settings = fast_settings()
        return store.add_contact(s, name, site, "webhook", url, tier=tier, language=language, settings=settings).id


def reading(room: Room, ts_ms: int, device: str = "n1", **fields: float) -> Reading:
    return Reading(device, room.site, room.room, room.room_id, ts_ms, ts_ms, dict(fields))


def fast_settings(**kw: Any) -> AlertSettings:
    base: dict[str, Any] = {
        "tick_s": 0.05,
        "group_window_s": 0,
        "retry_base_s": 1.0,
        "retry_max_s": 4.0,
        "checkpoint_s": 0.2,
        # the webhook and SMS stand-ins listen on 127.0.0.1
        "webhook": {"allow_private": True},
        "sms": {"allow_private": True},
    }
    base.update(kw)
    return AlertSettings(**base)


@pytest.fixture
def make_engine() -> Iterator[Callable[..., AlertEngine]]:
    """Factory of started engines (stopped at teardown)."""
    engines: list[AlertEngine] = []

    def make(
        sessions: sessionmaker[Session], clock: Callable[[], float], settings: AlertSettings | None = None, **kw: Any
    ) -> AlertEngine:
        kw.setdefault("secret", "test-secret")
        kw.setdefault("base_url", "http://kho.test")
        eng = AlertEngine(settings or fast_settings(), sessions, clock=clock, **kw)
        eng.start()
        engines.append(eng)
        return eng

    yield make
    for e in engines:
        e.stop()


def alerts_in(sessions: sessionmaker[Session], rule: str | None = None) -> list[Any]:
    """Every alert (optionally of one rule), oldest first."""
    from sqlalchemy import select

    from alerts.models import Alert

    with sessions() as s:
        stmt = select(Alert).order_by(Alert.id)
        if rule:
            stmt = stmt.where(Alert.rule == rule)
        return list(s.scalars(stmt))


def deliveries(sessions: sessionmaker[Session]) -> list[Any]:
    from sqlalchemy import select

    from alerts.models import Delivery

    with sessions() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)))
