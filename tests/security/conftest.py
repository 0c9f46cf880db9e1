"""Security fixtures: the seeded registry of the inventory tests and apps built with chosen web settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kho.app import create_app
from kho.settings import Settings
from tests.inventory import conftest as inventory_conftest
from tests.inventory.conftest import World, fast_password_hashing, login  # noqa: F401 (autouse fixture)

world = inventory_conftest.world  # the seeded registry, the same fixture as the keeper tests'


@pytest.fixture
def make_app(migrated_url: str, tmp_path: Path, world: World) -> Iterator[Callable[..., FastAPI]]:
    """Factory: the kho app on the seeded registry; keyword arguments are web settings."""
    apps: list[FastAPI] = []

    def make(state_dir: Path | None = None, **web: Any) -> FastAPI:
        settings = Settings(
            state_dir=state_dir or tmp_path / "state",
            database={"url": migrated_url},
            web={"secret_key": "test-secret-key-0123456789", **web},
        )
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.engine.dispose()


@pytest.fixture
def client_of() -> Iterator[Callable[..., TestClient]]:
    """Factory: a TestClient on ``app`` (logged in as ``role`` when given); closed at the end."""
    made: list[TestClient] = []

    def make(app: FastAPI, role: str | None = None, **kw: Any) -> TestClient:
        c = TestClient(app, follow_redirects=False, **kw)
        c.__enter__()
        made.append(c)
        if role:
            login(c, role)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)
