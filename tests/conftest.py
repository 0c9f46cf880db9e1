"""Real servers for the tests: a private Mosquitto and influxd per session, SQLite and PostgreSQL.

A missing server binary fails the test with the command that installs it (never a silent skip).
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import paho.mqtt.client as paho
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from collector.service import Collector
from collector.settings import CollectorSettings, InfluxSettings, MqttSettings
from inventory.db import make_engine, make_sessionmaker
from kho import db as kho_db
from kho.localservers import InfluxServer, ManagedServer, ensure_postgres, influxd_server, mosquitto_server

T = TypeVar("T")
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def make_mosquitto(servers_dir: Path) -> Iterator[Callable[..., ManagedServer]]:
    """Factory: a started private Mosquitto (own dir, free port); all stopped at session end."""
    started: list[ManagedServer] = []

    def make(**kw: object) -> ManagedServer:
        srv = mosquitto_server(servers_dir / f"mq-{uuid.uuid4().hex[:8]}", **kw)  # type: ignore[arg-type]
        srv.start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def make_influxd(servers_dir: Path) -> Iterator[Callable[[], InfluxServer]]:
    """Factory: a started private influxd (own dir, free port); all stopped at session end."""
    started: list[InfluxServer] = []

    def make() -> InfluxServer:
        srv = influxd_server(servers_dir / f"influx-{uuid.uuid4().hex[:8]}")
        srv.start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def mosquitto(make_mosquitto: Callable[..., ManagedServer]) -> ManagedServer:
    """One broker shared by the tests that do not restart it."""
    return make_mosquitto()


@pytest.fixture(scope="session")
def influxd(make_influxd: Callable[[], InfluxServer]) -> InfluxServer:
    """One influxd shared by the tests that do not stop it (use a fresh database name per test)."""
    return make_influxd()


@pytest.fixture
def influx_db_name() -> str:
    """A database name no other test uses."""
    return f"t_{uuid.uuid4().hex[:12]}"


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kho.db'}"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    ensure_postgres()


def _fresh_pg_database() -> tuple[str, Callable[[], None]]:
    name = f"kho_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    request.getfixturevalue("postgres_available")
    url, drop = _fresh_pg_database()
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite database file, for tests where the SQL backend does not matter."""
    return _sqlite_url(tmp_path)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated through Alembic per test session; tests get copies of it (0.5 s saved each)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "kho.db"
    kho_db.upgrade(f"sqlite:///{path}")
    return path


def _copy_sqlite(template: Path, url: str) -> None:
    """Copy ``template`` into the (new) SQLite file of ``url`` with SQLite's backup API (WAL-safe)."""
    src, dst = sqlite3.connect(template), sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def migrated_url(db_url: str, request: pytest.FixtureRequest) -> str:
    """``db_url`` with every package's schema created through Alembic."""
    if db_url.startswith("sqlite:///"):
        _copy_sqlite(request.getfixturevalue("migrated_sqlite_template"), db_url)
    else:
        kho_db.upgrade(db_url)
    return db_url


@pytest.fixture
def sessions(migrated_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database (SQLite and PostgreSQL)."""
    engine = make_engine(migrated_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_url: str, migrated_sqlite_template: Path) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated SQLite database."""
    _copy_sqlite(migrated_sqlite_template, sqlite_url)
    engine = make_engine(sqlite_url)
    yield make_sessionmaker(engine)
    engine.dispose()


# ---- collectors (tests/collector and tests/firmware)


def fast_cfg(**kw: Any) -> CollectorSettings:
    """Collector settings for tests: short flush interval and registry polling."""
    base: dict[str, Any] = {"flush_interval_s": 0.2, "registry_refresh_s": 0.5}
    base.update(kw)
    return CollectorSettings(**base)


@pytest.fixture
def make_collector(tmp_path: Path) -> Iterator[Callable[..., Collector]]:
    """Factory: a started Collector (own client id and state dir); all stopped at the end."""
    made: list[Collector] = []

    def make(
        port: int,
        influx: InfluxSettings,
        sessions: sessionmaker[Session],
        *,
        client_id: str | None = None,
        shared_group: str | None = None,
        state_dir: Path | None = None,
        consumers: Any = (),
        protocol: str = "3.1.1",
        username: str | None = None,
        password: str | None = None,
        **cfg: Any,
    ) -> Collector:
        mq = MqttSettings(
            port=port,
            client_id=client_id or f"col-{uuid.uuid4().hex[:8]}",
            shared_group=shared_group,
            protocol=protocol,
            username=username,
            password=SecretStr(password) if password else None,
        )
        c = Collector(mq, influx, fast_cfg(**cfg), sessions, state_dir or tmp_path / mq.client_id, consumers)
        c.start()
        assert c.wait_subscribed(10), "collector did not connect to MQTT and subscribe"
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()
        forget_session(c.mqtt_settings.port, c.mqtt_settings.client_id)


def forget_session(port: int, client_id: str) -> None:
    """Drop a persistent session at the broker so it does not queue other tests' messages."""
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311, clean_session=True)
    connected = threading.Event()
    c.on_connect = lambda *args: connected.set()
    try:
        c.connect("127.0.0.1", port, 10)
        c.loop_start()
        connected.wait(5)  # the CONNACK means the broker has dropped the old session
        c.disconnect()
        c.loop_stop()
    except OSError:
        pass  # the broker is gone already


def wait_for(
    cond: Callable[[], T],
    timeout_s: float = 20.0,
    msg: str | Callable[[], str] = "condition not met",
    interval_s: float = 0.05,
) -> T:
    """Poll ``cond`` until it returns something true and return that; fail with ``msg`` after ``timeout_s``.

    ``msg`` may be a function, called only on failure, so the message can show the state at the end (a count, a
    log's tail). ``cond`` may raise ``AssertionError`` to stop waiting at once (a server process that died).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(msg() if callable(msg) else msg)
        time.sleep(interval_s)


def let_time_pass(seconds: float, why: str) -> None:
    """Let ``seconds`` pass on purpose, ``why`` saying what for: the test then checks that something did NOT happen
    in that time (no message, no second notification, no eviction), or an outage lasts that long. Not for waiting
    until something happens: that is ``wait_for``."""
    assert why, "say why time must pass"
    time.sleep(seconds)


# ---- test tiers: `make check` runs `pytest -m "not server"`, `make test` runs everything

# Fixtures that start (or connect to) a real server: a test that uses one, directly or through another
# fixture, belongs to the full suite only.
SERVER_FIXTURES = frozenset(
    {"make_mosquitto", "make_influxd", "mosquitto", "influxd", "postgres_available", "esphome_config"}
)
# Marks that mean the same: PostgreSQL, Chromium, long fault tests.
SERVER_MARKS = frozenset({"postgres", "browser", "slow"})


def _starts_processes(path: Path, seen: dict[Path, bool]) -> bool:
    """Whether a test module runs other programs (the kho CLI, mosquitto, esphome): seconds each, not milliseconds."""
    if path not in seen:
        seen[path] = "subprocess" in path.read_text(encoding="utf-8")
    return seen[path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs a server or another process with ``server``; the rest is the fast tier."""
    seen: dict[Path, bool] = {}
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        marks = {m.name for m in item.iter_markers()}
        if fixtures & SERVER_FIXTURES or marks & SERVER_MARKS or _starts_processes(item.path, seen):
            item.add_marker(pytest.mark.server)
