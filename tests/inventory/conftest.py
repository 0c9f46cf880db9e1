"""Inventory fixtures: a seeded database (SQLite and PostgreSQL), the web app and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from inventory import auth
from inventory import services as sv
from inventory.registry import create_room, create_site
from kho.app import create_app
from kho.settings import Settings

PASSWORD = "mật-khẩu-dài-1"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with small cost parameters: the default (64 MiB, 3 passes) makes each seeded user ~0.3 s."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class World:
    """What ``seeded`` created: codes and ids the tests use."""

    room_id: int
    unit_code: str
    box_ids: dict[str, int]  # code -> id
    slot_ids: dict[str, int]
    shelf_ids: dict[str, int]


def seed(session: Session) -> World:
    """Site HN, room K1, unit K1-G01 (2 shelves × 3 slots, 2 boxes each), fonds P12 with 4 boxes, users."""
    create_site(session, "HN", "Kho Hà Nội")
    room = create_room(session, "HN", "K1", "Phòng kho 1")
    unit = sv.create_shelving(session, "HN", "K1", 1, shelves=2, slots_per_shelf=3, capacity_boxes=2)
    sv.create_fonds(session, "P12", "UBND huyện Đông Anh")
    boxes = {}
    for n in range(1, 5):
        files = [sv.FileIn(1, f"Hồ sơ đất đai xã {n}"), sv.FileIn(2, "Báo cáo tổng kết năm", retention_years=10)]
        b = sv.create_box(session, sv.BoxIn("P12", 3, n, title=f"Hộp {n}", files=files), "seed")
        boxes[b.code] = b.id
    for code, slot in (
        ("P12-ML3-H001", "K1-G01-T1-V01"),
        ("P12-ML3-H002", "K1-G01-T1-V01"),
        ("P12-ML3-H003", "K1-G01-T1-V02"),
    ):
        sv.place_box(session, sv.get_box(session, code), slot, "seed")
    for role in ("viewer", "keeper", "manager", "admin"):
        auth.create_user(session, role, PASSWORD, role, display_name=role.title())
    session.flush()
    slots = {sl.code: sl.id for sh in unit.shelves for sl in sh.slots}
    shelves = {sh.code: sh.id for sh in unit.shelves}
    return World(room.id, unit.code, boxes, slots, shelves)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions() as s:
        w = seed(s)
        s.commit()
    return w


@pytest.fixture
def app_settings(migrated_url: str, tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path / "state", database={"url": migrated_url}, web={"secret_key": "test-secret-key-0123456789"}
    )


@pytest.fixture
def client_factory(app_settings: Settings, world: World) -> Iterator[Callable[..., TestClient]]:
    """Make a TestClient on a fresh app; ``role`` logs it in as that seeded user."""
    app = create_app(app_settings)
    made: list[TestClient] = []

    def make(role: str | None = None) -> TestClient:
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        made.append(c)
        if role:
            login(c, role)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)
    app.state.engine.dispose()


def login_csrf(client: httpx.Client) -> str:
    """The CSRF token of the login form (the login page sets it in the client's session cookie)."""
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert m, "no CSRF token on the login form"
    return m.group(1)


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> None:
    """Log ``client`` (a ``TestClient``, or an ``httpx.Client`` on a served app) in through the login form."""
    r = client.post(
        "/login", data={"username": username, "password": password, "next": "/", "csrf": login_csrf(client)}
    )
    assert r.status_code == 303, r.text


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the client's session, read from a page's form."""
    import re

    page = client.get("/").text
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, "no CSRF token on the page"
    return m.group(1)


def tiny_image(fmt: str = "JPEG", size: tuple[int, int] = (8, 6)) -> bytes:
    """A real image (Pillow) of a few pixels, for photo uploads."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buf, format=fmt)
    return buf.getvalue()
