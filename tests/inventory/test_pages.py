"""Keeper pages through forms (no JS): every action, errors shown as pages, size ≤ 100 kB, vi/en."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from tests.inventory.conftest import World, csrf_of, tiny_image

_JPEG = tiny_image("JPEG")

MAX_PAGE = 100 * 1024


def _get(c: TestClient, url: str) -> str:
    r = c.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert len(r.content) <= MAX_PAGE, (url, len(r.content))
    return r.text


def test_every_page_renders_small(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    assert f'href="/room/{world.room_id}"' in _get(c, "/")
    box = world.box_ids["P12-ML3-H001"]
    for url in (
        "/",
        f"/box/{box}",
        f"/slot/{world.slot_ids['K1-G01-T1-V01']}",
        f"/shelf/{world.shelf_ids['K1-G01-T1']}",
        f"/room/{world.room_id}",
        "/search?q=dat",
        "/login",
        "/static/inventory/scan.js",
    ):
        _get(c, url)
    text = _get(c, f"/box/{box}")
    assert "P12-ML3-H001" in text and "Hồ sơ đất đai xã 1" in text and "K1-G01-T1-V01" in text
    assert 'name="viewport"' in text
    headers = c.get(f"/box/{box}").headers
    assert headers["referrer-policy"] == "same-origin" and headers["x-frame-options"] == "DENY"


def test_big_box_page_stays_under_100kb(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        b = sv.create_box(
            s,
            sv.BoxIn(
                "P12",
                9,
                1,
                files=[
                    sv.FileIn(i, f"Hồ sơ số {i} về việc quản lý đất đai và xây dựng cơ bản của xã trong giai đoạn dài")
                    for i in range(1, 201)
                ],
            ),
            "t",
        )
        for _ in range(60):
            sv.mark_cleaned(s, b, "keeper", note="lau bụi định kỳ")
        s.commit()
        box_id = b.id
    _get(client_factory("keeper"), f"/box/{box_id}")


def test_language_switch(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    box = world.box_ids["P12-ML3-H001"]
    assert "Trên giá" in _get(c, f"/box/{box}")
    r = c.get(f"/box/{box}?lang=en")
    assert "In place" in r.text and r.cookies.get("lang") == "en"
    assert "In place" in _get(c, f"/box/{box}"), "the choice sticks through the cookie"
    assert "Trên giá" in _get(c, f"/box/{box}?lang=vi")


def test_move_check_out_return_damage_clean_by_forms(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_factory("keeper")
    tok = csrf_of(c)
    box = world.box_ids["P12-ML3-H001"]
    version = int(re.search(r'name="version" value="(\d+)"', _get(c, f"/box/{box}")).group(1))  # type: ignore[union-attr]
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "K1-G01-T2-V02", "version": str(version)})
    assert r.status_code == 303
    page = _get(c, f"/box/{box}")
    assert "Đã chuyển hộp P12-ML3-H001 vào K1-G01-T2-V02" in page and "Để sai vị trí" in page
    # the stale form (old version) is refused with a clear page
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "K1-G01-T2-V03", "version": str(version)})
    assert r.status_code == 409 and "changed by someone else" in r.text
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "K1-G01-T1-V01"})  # back home, now room for it
    assert r.status_code == 303
    r = c.post(f"/box/{world.box_ids['P12-ML3-H004']}/move", data={"csrf": tok, "slot": "K1-G01-T1-V01"})
    assert r.status_code == 409 and "is full" in r.text
    r = c.post(
        f"/box/{box}/checkout",
        data={"csrf": tok, "custodian": "Trần Văn Bình", "purpose": "processing", "due_back": "2099-12-31"},
    )
    assert r.status_code == 303
    page = _get(c, f"/box/{box}")
    assert "Đang cho mượn" in page and "Trần Văn Bình" in page and "Chỉnh lý" in page
    assert c.post(f"/box/{box}/checkout", data={"csrf": tok, "custodian": "X", "due_back": "31/12"}).status_code == 400
    assert c.post(f"/box/{box}/return", data={"csrf": tok}).status_code == 303
    assert "Trên giá" in _get(c, f"/box/{box}")
    r = c.post(f"/box/{box}/return", data={"csrf": tok})
    assert r.status_code == 409 and "not checked out" in r.text
    r = c.post(
        f"/box/{box}/damage",
        data={"csrf": tok, "kind": "water", "note": "dột mái"},
        files={"photo": ("p.jpg", _JPEG, "image/jpeg")},
    )
    assert r.status_code == 303
    r = c.post(
        f"/box/{box}/damage", data={"csrf": tok, "kind": "water"}, files={"photo": ("p.gif", b"GIF89a", "image/gif")}
    )
    assert r.status_code == 400 and "JPEG" in r.text
    assert c.post(f"/box/{box}/cleaned", data={"csrf": tok}).status_code == 303
    page = _get(c, f"/box/{box}")
    assert "Ngấm nước" in page and "dột mái" in page
    photo_url = re.search(r'href="(/photos/P12-ML3-H001/[^"]+\.jpg)"', page).group(1)  # type: ignore[union-attr]
    r = c.get(photo_url)
    assert r.status_code == 200 and r.content == _JPEG
    assert c.get("/photos/P12-ML3-H001/..%2F..%2Fsecret_key").status_code == 404
    assert c.get("/photos/P12-ML3-H001/nope.jpg").status_code == 404
    with sessions() as s:
        kinds = [e.kind for e in sv.box_view(s, box).events]
    assert kinds[:6] == ["cleaned", "damaged", "returned", "checked_out", "moved", "moved"]


def test_carry_then_place_here(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    tok = csrf_of(c)
    box = world.box_ids["P12-ML3-H004"]
    assert c.post(f"/box/{box}/carry", data={"csrf": tok}).status_code == 303
    slot = world.slot_ids["K1-G01-T2-V03"]
    page = _get(c, f"/slot/{slot}")
    assert "Đặt hộp P12-ML3-H004 vào đây" in page
    r = c.post(f"/slot/{slot}/place", data={"csrf": tok, "box": str(box)})
    assert r.status_code == 303 and r.headers["location"] == f"/box/{box}"
    assert "K1-G01-T2-V03" in _get(c, f"/box/{box}")
    assert "vào đây" not in _get(c, f"/slot/{slot}"), "after placing, the keeper carries nothing"


def test_viewer_sees_no_actions(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("viewer")
    page = _get(c, f"/box/{world.box_ids['P12-ML3-H001']}")
    assert "/move" not in page and "/checkout" not in page
    r = c.post(f"/box/{world.box_ids['P12-ML3-H001']}/cleaned", data={"csrf": csrf_of(c)})
    assert r.status_code == 403 and "không có quyền" in r.text


def test_stocktake_by_forms(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    tok = csrf_of(c)
    c.post(f"/box/{world.box_ids['P12-ML3-H004']}/move", data={"csrf": tok, "slot": "K1-G01-T2-V01"})
    shelf = world.shelf_ids["K1-G01-T1"]
    r = c.post(f"/shelf/{shelf}/stocktake", data={"csrf": tok})
    assert r.status_code == 303
    url = r.headers["location"]
    sid = url.rsplit("/", 1)[1]
    for label in ("P12-ML3-H001", "P12-ML3-H003", "P12-ML3-H004", "XYZ"):
        assert c.post(f"/stocktake/{sid}/scan", data={"csrf": tok, "label": label}).status_code == 303
    page = _get(c, url)
    found = re.search(r'id="found">(.*?)</ul>', page, re.S).group(1)  # type: ignore[union-attr]
    missing = re.search(r'id="missing">(.*?)</ul>', page, re.S).group(1)  # type: ignore[union-attr]
    misplaced = re.search(r'id="misplaced">(.*?)</ul>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "P12-ML3-H001" in found and "P12-ML3-H003" in found
    assert "P12-ML3-H002" in missing and "P12-ML3-H004" in misplaced and "K1-G01-T2-V01" in misplaced
    assert "XYZ" in page
    assert c.post(f"/stocktake/{sid}/confirm", data={"csrf": tok}).status_code == 303
    assert "Đã xác nhận" in _get(c, url)
    assert "Thất lạc" in _get(c, f"/box/{world.box_ids['P12-ML3-H002']}")


class FakeClimate:
    def latest(self, room_ids: list[int]) -> dict[int, dict[str, Any]]:
        return {r: {"temperature_c": 21.5, "humidity_pct": 52.0, "smoke": 0, "ts_ms": 1767229200000} for r in room_ids}


class FakeAlerts:
    def open_for_room(self, room_id: int) -> list[dict[str, Any]]:
        from datetime import UTC, datetime

        return [
            {
                "id": 1,
                "rule": "rh_high",
                "severity": "warning",
                "state": "open",
                "summary": "Độ ẩm cao: 68",
                "started_at": datetime(2026, 1, 1, 1, 0, tzinfo=UTC),
            },
            {"kind": "smoke", "severity": "critical", "message": "Có khói"},
        ]


class BrokenClimate:
    def latest(self, room_ids: list[int]) -> dict[int, dict[str, Any]]:
        raise ConnectionError("influx down")


def test_room_page_with_and_without_providers(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    app = c.app
    app.state.climate_provider = None  # type: ignore[attr-defined]
    app.state.alerts_provider = None  # type: ignore[attr-defined]
    page = _get(c, f"/room/{world.room_id}")
    assert page.count("không có dữ liệu") == 2
    app.state.climate_provider = FakeClimate()  # type: ignore[attr-defined]
    app.state.alerts_provider = FakeAlerts()  # type: ignore[attr-defined]
    page = _get(c, f"/room/{world.room_id}")
    assert "21.5 °C" in page and "52 %" in page and "Độ ẩm cao: 68" in page and "01/01/2026 08:00" in page
    assert "Có khói" in page and "01/01/2026 08:00" in page.split('id="alerts"')[0]
    app.state.climate_provider = BrokenClimate()  # type: ignore[attr-defined]
    assert "không có dữ liệu" in _get(c, f"/room/{world.room_id}")


def test_unknown_things_give_404_pages(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("viewer")
    for url in (
        "/box/999999",
        "/slot/999999",
        "/shelf/999999",
        "/room/999999",
        "/stocktake/999999",
        "/s/unknown-token",
    ):
        r = c.get(url)
        assert r.status_code == 404 and "<html" in r.text, url
    r = c.get("/go?code=P12-ML3-H002")
    assert r.status_code == 303 and r.headers["location"] == f"/box/{world.box_ids['P12-ML3-H002']}"
    r = c.get("/go?code=đất đai")
    assert r.status_code == 303 and r.headers["location"].startswith("/search?q=")


def test_manager_adds_a_schedule_keeper_cannot(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    keeper = client_factory("keeper")
    assert "new-schedule" not in _get(keeper, f"/room/{world.room_id}")
    r = keeper.post(
        f"/room/{world.room_id}/schedule", data={"csrf": csrf_of(keeper), "kind": "floor", "recurrence": "every 7d"}
    )
    assert r.status_code == 403
    m = client_factory("manager")
    tok = csrf_of(m)
    assert "new-schedule" in _get(m, f"/room/{world.room_id}")
    r = m.post(
        f"/room/{world.room_id}/schedule",
        data={
            "csrf": tok,
            "kind": "pest_inspection",
            "recurrence": "0 8 1 * *",
            "unit": "K1-G01",
            "assignee": "keeper",
        },
    )
    assert r.status_code == 303
    r = m.post(f"/room/{world.room_id}/schedule", data={"csrf": tok, "kind": "floor", "recurrence": "often"})
    assert r.status_code == 400 and "cron" in r.text
    from inventory.models import CleaningSchedule

    with sessions() as s:
        rows = list(s.scalars(select(CleaningSchedule)))
    assert [(r.kind, r.recurrence, r.assignee, r.created_by) for r in rows] == [
        ("pest_inspection", "0 8 1 * *", "keeper", "manager")
    ]


def test_checked_out_list(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    from datetime import date, timedelta

    with sessions() as s:
        sv.check_out(
            s, sv.get_box(s, "P12-ML3-H002"), "Lê Văn C", "reading_room", "k", due_back=date.today() + timedelta(days=3)
        )
        b = sv.get_box(s, "P12-ML3-H001")
        sv.check_out(s, b, "Phạm Thị D", "processing", "k", due_back=date.today())
        b.due_back = date.today() - timedelta(days=2)  # as if it had been due two days ago
        sv.check_out(s, sv.get_box(s, "P12-ML3-H004"), "Đỗ E", "other", "k")
        s.commit()
    c = client_factory("viewer")
    rows = c.get("/api/inventory/checkouts").json()
    assert [(r["code"], r["overdue"]) for r in rows] == [
        ("P12-ML3-H001", True),
        ("P12-ML3-H002", False),
        ("P12-ML3-H004", False),
    ]
    page = _get(c, "/checkouts")
    assert page.index("P12-ML3-H001") < page.index("P12-ML3-H002") and "quá hạn" in page and "Phạm Thị D" in page
