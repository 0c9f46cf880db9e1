"""Broker isolation tests: the firmware tests' registry of nodes and MQTT clients, reused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ..firmware.conftest import Client, seed_nodes


@pytest.fixture
def node_sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_nodes(sqlite_sessions)
    return sqlite_sessions


@pytest.fixture
def clients() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(*args: Any, **kw: Any) -> Client:
        c = Client(*args, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
