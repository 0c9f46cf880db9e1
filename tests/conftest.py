"""Real servers for the tests: a private Mosquitto and influxd per session, SQLite and PostgreSQL.

A missing server binary fails the test with the command that installs it (never a silent skip).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import make_engine, make_sessionmaker
from kho import db as kho_db
from kho.localservers import InfluxServer, ManagedServer, ensure_postgres, influxd_server, mosquitto_server

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


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """``db_url`` with every package's schema created through Alembic."""
    kho_db.upgrade(db_url)
    return db_url


@pytest.fixture
def sessions(migrated_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated database (SQLite and PostgreSQL)."""
    engine = make_engine(migrated_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a migrated SQLite database."""
    kho_db.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    yield make_sessionmaker(engine)
    engine.dispose()
