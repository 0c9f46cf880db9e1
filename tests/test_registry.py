"""The sensor registry: sites, rooms, nodes, moves, attribution snapshot, migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from inventory import registry
from inventory.db import make_engine, session_scope
from inventory.directory import load_directory, registry_version
from inventory.errors import Conflict, NotFound, RegistryError
from kho import db as kho_db


def _seed(s: Session) -> None:
    registry.create_site(s, "QT", "Kho lưu trữ Quảng Trị")
    registry.create_room(s, "QT", "R1", "Phòng 1")
    registry.create_room(s, "QT", "R2", "Phòng phim", "photo", {"outer_rh_pct": [30, 50]})


def test_register_and_move_attribution(sessions: sessionmaker[Session]) -> None:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    with session_scope(sessions) as s:
        _seed(s)
        registry.add_device(s, "n1", "native", "QT", "R1", has_smoke=True, since=t0)
        registry.move_device(s, "n1", "QT", "R2", since=t0 + timedelta(hours=1))
    with session_scope(sessions) as s:
        d = load_directory(s)
        assert registry_version(s) == d.version >= 5
    dev = d.devices["n1"]
    assert d.by_topic["kho/n1"] is dev
    ms = int(t0.timestamp() * 1000)
    assert dev.placement_at(ms + 1000).room == "R1"  # type: ignore[union-attr]
    assert dev.placement_at(ms + 3_600_000).room == "R2"  # type: ignore[union-attr]
    assert dev.placement_at(ms - 10).room == "R1"  # type: ignore[union-attr]
    room2 = next(r for r in d.rooms.values() if r.code == "R2")
    assert room2.limits.outer_rh_pct == (30, 50)
    assert room2.limits.target_t_c == (8, 16)


@pytest.mark.parametrize(
    ("call", "exc", "text"),
    [
        (lambda s: registry.create_site(s, "QT", "again"), Conflict, "already exists"),
        (lambda s: registry.create_room(s, "XX", "R9", "x"), NotFound, "no site"),
        (lambda s: registry.create_room(s, "QT", "R9", "x", "vinyl"), RegistryError, "climate class"),
        (lambda s: registry.create_room(s, "QT", "R9", "x", "paper", {"bogus": 1}), RegistryError, "bogus"),
        (lambda s: registry.add_device(s, "bad id!", "native", "QT", "R1"), RegistryError, "invalid"),
        (lambda s: registry.add_device(s, "n9", "zigbee", "QT", "R1"), RegistryError, "profile"),
        (lambda s: registry.add_device(s, "n9", "native", "QT", "R1", topic="a/#"), RegistryError, "wildcard"),
        (lambda s: registry.move_device(s, "nope", "QT", "R1"), NotFound, "no device"),
    ],
)
def test_registry_rejects_bad_input(sqlite_sessions: sessionmaker[Session], call, exc, text) -> None:  # type: ignore[no-untyped-def]
    with session_scope(sqlite_sessions) as s:
        _seed(s)
    with pytest.raises(exc, match=text), session_scope(sqlite_sessions) as s:
        call(s)


def test_duplicate_topic_and_same_room_move(sqlite_sessions: sessionmaker[Session]) -> None:
    with session_scope(sqlite_sessions) as s:
        _seed(s)
        registry.add_device(s, "e1", "esphome", "QT", "R1", topic="archive/e1")
    with pytest.raises(Conflict, match="topic"), session_scope(sqlite_sessions) as s:
        registry.add_device(s, "e2", "esphome", "QT", "R1", topic="archive/e1")
    with pytest.raises(Conflict, match="already in"), session_scope(sqlite_sessions) as s:
        registry.move_device(s, "e1", "QT", "R1")


def test_alembic_upgrade_downgrade(db_url: str) -> None:
    kho_db.upgrade(db_url)
    engine = make_engine(db_url)
    assert {"sites", "rooms", "devices", "device_assignments"} <= set(inspect(engine).get_table_names())
    kho_db.downgrade(db_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    kho_db.upgrade(db_url)
    assert "devices" in inspect(engine).get_table_names()
    engine.dispose()
