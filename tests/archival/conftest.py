"""Archival fixtures: organisations with fonds, many boxes written in bulk, users tied to organisations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inventory import auth
from inventory import services as sv
from inventory.archival import orgs
from inventory.archival.models import Organisation
from inventory.db import utcnow
from inventory.models import Box, BoxEvent, Catalogue, EventKind, File, Fonds
from tests.inventory.conftest import PASSWORD, fast_password_hashing  # noqa: F401  (autouse fixture)


def make_org(s: Session, code: str, name: str, kind: str = "agency", **kw: object) -> Organisation:
    return orgs.create_organisation(s, code, name, kind, **kw)  # type: ignore[arg-type]


def make_fonds(s: Session, code: str, name: str, org: Organisation, rule: str = "5y") -> Fonds:
    fonds = sv.create_fonds(s, code, name)
    orgs.assign_fonds(s, fonds, org, transfer_rule=rule)
    return fonds


def bulk_boxes(
    s: Session,
    fonds: Fonds,
    n: int,
    *,
    catalogue: int = 1,
    year: int = 2015,
    permanent_every: int = 2,
    width_m: float = 0.125,
) -> list[int]:
    """``n`` boxes (2 files each) in ``fonds`` written with bulk inserts; every ``permanent_every``-th box holds
    permanent files, the others 10-year ones. Returns the box ids in number order."""
    cat = sv.ensure_catalogue(s, fonds, catalogue)
    now = utcnow()
    rows = [
        dict(
            catalogue_id=cat.id,
            fonds_id=fonds.id,
            number=i,
            code=sv.box_code(fonds.code, catalogue, i),
            title=f"Hộp {i}",
            date_from=date(year, 1, 1),
            date_to=date(year, 12, 31),
            width_m=width_m,
            status="in_place",
            status_since=now,
            created_at=now,
            version=1,
        )
        for i in range(1, n + 1)
    ]
    s.execute(insert(Box), rows)
    ids = list(s.scalars(select(Box.id).where(Box.catalogue_id == cat.id).order_by(Box.number)))
    files = []
    for k, bid in enumerate(ids, start=1):
        permanent = permanent_every > 0 and k % permanent_every == 0
        for f in (1, 2):
            files.append(
                dict(
                    box_id=bid,
                    number=f,
                    title=f"Hồ sơ {k}.{f} về quản lý đất đai",
                    date_from=date(year, 1, 1),
                    date_to=date(year, 12, 31),
                    retention_years=None if permanent else 10,
                    pages=20,
                )
            )
    s.execute(insert(File), files)
    s.execute(insert(BoxEvent), [dict(box_id=b, kind=EventKind.CREATED.value, actor="seed", at=now) for b in ids])
    s.flush()
    return ids


def make_user(s: Session, username: str, role: str, org: Organisation | None) -> None:
    auth.create_user(s, username, PASSWORD, role)
    if org is not None:
        orgs.set_user_organisation(s, username, org)


__all__ = ["Catalogue", "bulk_boxes", "make_fonds", "make_org", "make_user"]


# ---- web: the app, a small archival world, logged-in clients


import re  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from inventory.registry import create_room, create_site  # noqa: E402
from kho.app import create_app  # noqa: E402
from kho.asgi_thread import ThreadedServer  # noqa: E402
from kho.localservers import free_port  # noqa: E402
from kho.settings import Settings  # noqa: E402
from tests.inventory.conftest import login  # noqa: E402

BOXES = 12


@pytest.fixture
def app_settings(migrated_url: str, tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path / "state", database={"url": migrated_url}, web={"secret_key": "test-secret-key-0123456789"}
    )


@pytest.fixture
def archive_world(sessions: sessionmaker[Session]) -> None:
    """Sở Nội vụ (SNV, fonds P01, 12 boxes on shelves) transfers to the historical archive (LTLS); Sở Tài chính
    (STC, fonds P02) is a third party. Users: giao (SNV keeper), nhan (LTLS keeper), khac (STC manager)."""
    with sessions() as s:
        create_site(s, "QT", "Kho Quảng Trị")
        create_room(s, "QT", "K1", "Kho cơ quan")
        create_room(s, "QT", "K2", "Kho Lưu trữ lịch sử")
        sv.create_shelving(s, "QT", "K1", 1, shelves=2, slots_per_shelf=4, capacity_boxes=10)
        sv.create_shelving(s, "QT", "K2", 1, shelves=2, slots_per_shelf=4, capacity_boxes=10)
        make_org(s, "LTLS", "Trung tâm Lưu trữ lịch sử tỉnh", "historical_archive")
        snv = make_org(s, "SNV", "Sở Nội vụ", historical_archive="LTLS")
        stc = make_org(s, "STC", "Sở Tài chính")
        make_fonds(s, "P01", "Phông Sở Nội vụ", snv)
        make_fonds(s, "P02", "Phông Sở Tài chính", stc)
        for i in range(1, BOXES + 1):
            files = [
                sv.FileIn(1, f"Hồ sơ tổ chức cán bộ năm 2015 số {i}", date(2015, 1, 1), date(2015, 12, 31), pages=30)
            ]
            box = sv.create_box(s, sv.BoxIn("P01", 1, i, title=f"Hộp {i}", width_m=0.125, files=files), "seed")
            sv.place_box(s, box, f"K1-G01-T1-V0{(i - 1) // 4 + 1}", "seed")
        sv.create_box(s, sv.BoxIn("P02", 1, 1, files=[sv.FileIn(1, "Sổ kế toán")]), "seed")
        make_user(s, "giao", "keeper", snv)
        make_user(s, "nhan", "keeper", orgs.get_organisation(s, "LTLS"))
        make_user(s, "khac", "manager", stc)
        make_user(s, "tinh", "manager", None)
        s.commit()


@pytest.fixture
def client_factory(app_settings: Settings, archive_world: None) -> Iterator[Callable[[str | None], TestClient]]:
    app = create_app(app_settings)
    made: list[TestClient] = []

    def make(user: str | None = None) -> TestClient:
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        made.append(c)
        if user:
            login(c, user, PASSWORD)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)
    app.state.engine.dispose()


def csrf_of(client: TestClient, path: str = "/archival") -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert m, "no CSRF token on the page"
    return m.group(1)


@pytest.fixture
def server(app_settings: Settings, archive_world: None) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free port."""
    app = create_app(app_settings)
    srv = ThreadedServer(app, "127.0.0.1", free_port(), lifespan="off")
    assert srv.start(20), "uvicorn did not start"
    yield srv.url
    srv.stop()
    app.state.engine.dispose()
