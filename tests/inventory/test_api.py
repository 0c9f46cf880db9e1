"""JSON API: every action and its errors, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory import auth
from inventory.models import BoxEvent, CleaningTask
from inventory.services import ensure_task
from tests.inventory.conftest import World, tiny_image

API = "/api/inventory"


def _bearer(sessions: sessionmaker[Session], role: str) -> dict[str, str]:
    with sessions() as s:
        secret = auth.create_token(s, f"t-{role}", role)
        s.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_box_lifecycle_and_history(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session], app_settings: object
) -> None:
    c = client_factory()
    keeper = _bearer(sessions, "keeper")
    manager = _bearer(sessions, "manager")
    r = c.post(f"{API}/fonds", json={"code": "p40", "name": "Sở Xây dựng"}, headers=manager)
    assert r.status_code == 201 and r.json()["code"] == "P40"
    r = c.post(
        f"{API}/boxes",
        headers=manager,
        json={
            "fonds": "P40",
            "catalogue": 2,
            "number": 7,
            "title": "Hộp 7",
            "date_from": "1999-01-01",
            "date_to": "2001-12-31",
            "files": [
                {"number": 1, "title": "Hồ sơ cấp phép xây dựng", "pages": 40},
                {"number": 2, "title": "Báo cáo", "retention_years": 20},
            ],
        },
    )
    assert r.status_code == 201, r.text
    box = r.json()
    assert box["code"] == "P40-ML2-H007" and box["status"] == "unplaced" and len(box["token"]) >= 16
    assert [f["title"] for f in box["files"]] == ["Hồ sơ cấp phép xây dựng", "Báo cáo"]
    ref = box["code"]
    # put away: the first slot becomes the home slot
    r = c.post(f"{API}/boxes/{ref}/place", json={"slot": "K1-G01-T1-V03"}, headers=keeper)
    assert r.status_code == 200 and r.json()["home"]["code"] == "K1-G01-T1-V03"
    # move by scanning the target slot's label token
    slot_token = c.get(f"{API}/slots/K1-G01-T2-V03", headers=keeper).json()["token"]
    r = c.post(f"{API}/boxes/{ref}/place", json={"slot": f"https://kho.example/s/{slot_token}"}, headers=keeper)
    b = r.json()
    assert b["current"]["code"] == "K1-G01-T2-V03" and b["home"]["code"] == "K1-G01-T1-V03" and b["misplaced"]
    r = c.post(
        f"{API}/boxes/{ref}/checkout",
        headers=keeper,
        json={"custodian": "Nguyễn Thị Hoa", "purpose": "reading_room", "due_back": "2099-01-31"},
    )
    b = r.json()
    assert b["status"] == "checked_out" and b["custodian"] == "Nguyễn Thị Hoa" and b["current"] is None
    r = c.post(f"{API}/boxes/{ref}/checkout", headers=keeper, json={"custodian": "X"})
    assert r.status_code == 409 and "already checked out" in r.json()["detail"]
    r = c.post(f"{API}/boxes/{ref}/return", json={}, headers=keeper)
    b = r.json()
    assert b["status"] == "in_place" and b["current"]["code"] == "K1-G01-T1-V03" and not b["misplaced"]
    photo = base64.b64encode(tiny_image("PNG")).decode()
    r = c.post(
        f"{API}/boxes/{ref}/damage",
        headers=keeper,
        json={"kind": "mould", "note": "góc hộp bị mốc", "photo_base64": photo, "photo_type": "image/png"},
    )
    assert r.status_code == 200 and r.json()["condition"] == "mould"
    stored = r.json()["events"][0]["data"]["photo"]
    assert (Path(app_settings.state_dir) / stored).read_bytes().startswith(b"\x89PNG")  # type: ignore[attr-defined]
    r = c.post(f"{API}/boxes/{ref}/cleaned", json={"note": "lau bụi"}, headers=keeper)
    assert r.json()["last_cleaned_at"] is not None
    r = c.post(f"{API}/boxes/{ref}/inspect", json={"condition": "good"}, headers=keeper)
    assert r.json()["condition"] == "good"
    r = c.post(f"{API}/boxes/{ref}/handover", json={"recipient": "Trung tâm Lưu trữ"}, headers=keeper)
    assert r.status_code == 403
    r = c.post(f"{API}/boxes/{ref}/handover", json={"recipient": "Trung tâm Lưu trữ"}, headers=manager)
    assert r.json()["status"] == "handover"
    events = c.get(f"{API}/boxes/{ref}/events", headers=keeper).json()
    assert [e["kind"] for e in events] == [
        "created",
        "placed",
        "moved",
        "checked_out",
        "returned",
        "damaged",
        "cleaned",
        "inspected",
        "handed_over",
    ]
    assert events[3]["custodian"] == "Nguyễn Thị Hoa" and events[3]["due_back"] == "2099-01-31"
    assert events[2]["from"] == "K1-G01-T1-V03" and events[2]["to"] == "K1-G01-T2-V03"
    assert {e["actor"] for e in events[1:]} <= {"token:t-keeper", "token:t-manager"}


def test_events_cannot_be_edited_or_deleted(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_factory()
    admin = _bearer(sessions, "admin")
    box = world.box_ids["P12-ML3-H001"]
    with sessions() as s:
        before = s.scalar(select(func.count(BoxEvent.id)))
        ev_id = s.scalar(select(BoxEvent.id).where(BoxEvent.box_id == box).limit(1))
    for method in ("PUT", "PATCH", "DELETE"):
        r = c.request(method, f"{API}/boxes/{box}/events", headers=admin)
        assert r.status_code == 405, (method, r.status_code)
        r = c.request(method, f"{API}/boxes/{box}/events/{ev_id}", headers=admin)
        assert r.status_code in (404, 405)
    with sessions() as s:
        assert s.scalar(select(func.count(BoxEvent.id))) == before


def test_errors(client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]) -> None:
    c = client_factory()
    k = _bearer(sessions, "keeper")
    r = c.get(f"{API}/labels/AAAAAAAAAAAAAAAA", headers=k)
    assert r.status_code == 404 and "unknown label" in r.json()["detail"]
    assert c.get(f"{API}/boxes/P99-ML1-H001", headers=k).status_code == 404
    # slot V01 holds two boxes and has room for two: full
    r = c.post(f"{API}/boxes/P12-ML3-H004/place", json={"slot": "K1-G01-T1-V01"}, headers=k)
    assert r.status_code == 409 and "K1-G01-T1-V01 is full" in r.json()["detail"]
    r = c.post(f"{API}/boxes/P12-ML3-H004/place", json={"slot": "K1-G01-T9-V99"}, headers=k)
    assert r.status_code == 404
    r = c.post(f"{API}/boxes/P12-ML3-H004/return", json={}, headers=k)
    assert r.status_code == 409 and r.json()["detail"] == "box P12-ML3-H004 is not checked out"
    r = c.post(f"{API}/boxes/P12-ML3-H001/checkout", json={"custodian": " "}, headers=k)
    assert r.status_code == 400
    r = c.post(f"{API}/boxes/P12-ML3-H001/checkout", json={"custodian": "A", "purpose": "party"}, headers=k)
    assert r.status_code == 400 and "unknown purpose" in r.json()["detail"]
    r = c.post(f"{API}/boxes/P12-ML3-H001/checkout", json={"custodian": "A", "due_back": "2000-01-01"}, headers=k)
    assert r.status_code == 400 and "past" in r.json()["detail"]
    r = c.post(f"{API}/boxes/P12-ML3-H001/damage", json={"kind": "ghosts"}, headers=k)
    assert r.status_code == 400
    r = c.post(f"{API}/boxes/P12-ML3-H001/damage", json={"kind": "water", "photo_base64": "!!"}, headers=k)
    assert r.status_code == 400
    r = c.post(f"{API}/boxes/P12-ML3-H001/place", json={"slot": "K1-G01-T1-V01"}, headers=k)
    assert r.status_code == 409 and "already in slot" in r.json()["detail"]
    r = c.post(f"{API}/boxes/P12-ML3-H001/place", json={"slot": "K1-G01-T1"}, headers=k)
    assert r.status_code == 404 and "not a slot" in r.json()["detail"]
    r = c.post(f"{API}/boxes", json={"fonds": "P12", "catalogue": 3, "number": 1}, headers=_bearer(sessions, "manager"))
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    r = c.post(f"{API}/boxes/P12-ML3-H001/place", json={}, headers=k)
    assert r.status_code == 422


def test_stale_version_gives_conflict(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_factory()
    k = _bearer(sessions, "keeper")
    v = c.get(f"{API}/boxes/P12-ML3-H004", headers=k).json()["version"]
    r1 = c.post(f"{API}/boxes/P12-ML3-H004/place", json={"slot": "K1-G01-T2-V01", "version": v}, headers=k)
    r2 = c.post(f"{API}/boxes/P12-ML3-H004/place", json={"slot": "K1-G01-T2-V02", "version": v}, headers=k)
    assert r1.status_code == 200
    assert r2.status_code == 409 and "changed by someone else" in r2.json()["detail"]
    assert c.get(f"{API}/boxes/P12-ML3-H004", headers=k).json()["current"]["code"] == "K1-G01-T2-V01"


def test_concurrent_moves_of_one_box(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    """Many threads move the same box at once without a version: the version column lets one win per version."""
    k = _bearer(sessions, "keeper")
    clients = [client_factory() for _ in range(6)]
    targets = ["K1-G01-T2-V01", "K1-G01-T2-V02", "K1-G01-T2-V03", "K1-G01-T1-V03", "K1-G01-T2-V01", "K1-G01-T2-V02"]
    v = clients[0].get(f"{API}/boxes/P12-ML3-H004", headers=k).json()["version"]
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []

    def move(i: int) -> None:
        barrier.wait()
        r = clients[i].post(f"{API}/boxes/P12-ML3-H004/place", json={"slot": targets[i], "version": v}, headers=k)
        codes.append(r.status_code)

    threads = [threading.Thread(target=move, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * (len(clients) - 1), codes
    with sessions() as s:
        moves = s.scalar(
            select(func.count(BoxEvent.id)).where(
                BoxEvent.box_id == world.box_ids["P12-ML3-H004"], BoxEvent.kind.in_(["placed", "moved"])
            )
        )
    assert moves == 1


def test_search(client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]) -> None:
    c = client_factory()
    v = _bearer(sessions, "viewer")
    hits = c.get(f"{API}/search", params={"q": "dat dai xa 3"}, headers=v).json()
    assert [h["code"] for h in hits] == ["P12-ML3-H003"]
    assert hits[0]["location"] == "K1-G01-T1-V02" and hits[0]["matched"] == "Hồ sơ đất đai xã 3"
    hits = c.get(f"{API}/search", params={"q": "ĐẤT ĐAI"}, headers=v).json()
    assert {h["code"] for h in hits} == set(world.box_ids)
    assert [h["code"] for h in c.get(f"{API}/search", params={"q": "p12-ml3-h00"}, headers=v).json()] == sorted(
        world.box_ids
    )
    assert len(c.get(f"{API}/search", params={"q": "P12"}, headers=v).json()) == 4
    assert c.get(f"{API}/search", params={"q": "tổng kế"}, headers=v).json()[0]["matched"] == "Báo cáo tổng kết năm"
    assert c.get(f"{API}/search", params={"q": "không có gì"}, headers=v).json() == []
    assert c.get(f"{API}/search", params={"q": "\"*:&|'"}, headers=v).status_code == 200


def test_stocktake_api(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_factory()
    k = _bearer(sessions, "keeper")
    # H004 lives on shelf T2; H002 (home T1) is missing from the scan; H003 was checked out.
    c.post(f"{API}/boxes/P12-ML3-H004/place", json={"slot": "K1-G01-T2-V01"}, headers=k)
    c.post(f"{API}/boxes/P12-ML3-H003/checkout", json={"custodian": "Phòng đọc"}, headers=k)
    st = c.post(f"{API}/stocktakes", json={"shelf": "K1-G01-T1"}, headers=k).json()
    sid = st["stocktake_id"]
    assert c.post(f"{API}/stocktakes", json={"shelf": "K1-G01-T1"}, headers=k).json()["stocktake_id"] == sid
    token = c.get(f"{API}/boxes/P12-ML3-H001", headers=k).json()["token"]
    for label in (f"http://x/s/{token}", "P12-ML3-H004", "RANDOM-LABEL", "P12-ML3-H001"):
        r = c.post(f"{API}/stocktakes/{sid}/scans", json={"label": label}, headers=k)
        assert r.status_code == 200
    res = c.get(f"{API}/stocktakes/{sid}", headers=k).json()
    assert [b["code"] for b in res["found"]] == ["P12-ML3-H001"]
    assert [(b["code"], b["belongs_at"]) for b in res["misplaced"]] == [("P12-ML3-H004", "K1-G01-T2-V01")]
    assert [b["code"] for b in res["missing"]] == ["P12-ML3-H002"]
    assert [b["code"] for b in res["checked_out"]] == ["P12-ML3-H003"]
    assert res["unknown"] == ["RANDOM-LABEL"]
    res = c.post(f"{API}/stocktakes/{sid}/confirm", headers=k).json()
    assert res["state"] == "confirmed"
    assert c.get(f"{API}/boxes/P12-ML3-H002", headers=k).json()["status"] == "missing"
    assert c.get(f"{API}/boxes/P12-ML3-H001", headers=k).json()["last_seen_at"] is not None
    assert c.post(f"{API}/stocktakes/{sid}/scans", json={"label": "x"}, headers=k).status_code == 409
    assert c.post(f"{API}/stocktakes/{sid}/confirm", headers=k).status_code == 409
    r = c.post(f"{API}/boxes/P12-ML3-H002/checkout", json={"custodian": "A"}, headers=k)
    assert r.status_code == 409 and "missing" in r.json()["detail"]
    # a missing box that turns up in the next count is back in place
    sid2 = c.post(f"{API}/stocktakes", json={"shelf": "K1-G01-T1"}, headers=k).json()["stocktake_id"]
    assert sid2 != sid
    c.post(f"{API}/stocktakes/{sid2}/scans", json={"label": "P12-ML3-H002"}, headers=k)
    c.post(f"{API}/stocktakes/{sid2}/confirm", headers=k)
    b = c.get(f"{API}/boxes/P12-ML3-H002", headers=k).json()
    assert b["status"] == "in_place" and b["current"]["code"] == "K1-G01-T1-V01"


def test_shelving_schedules_and_tasks(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_factory()
    m = _bearer(sessions, "manager")
    k = _bearer(sessions, "keeper")
    r = c.post(
        f"{API}/shelving", json={"site": "HN", "room": "K1", "number": 2, "shelves": 3, "slots_per_shelf": 4}, headers=m
    )
    assert r.status_code == 201 and r.json()["code"] == "K1-G02"
    assert r.json()["shelves"][2]["slots"][3] == "K1-G02-T3-V04"
    assert c.post(f"{API}/shelving", json={"site": "HN", "room": "K1", "number": 2}, headers=m).status_code == 409
    assert c.post(f"{API}/shelving", json={"site": "HN", "room": "K9", "number": 1}, headers=m).status_code == 404
    r = c.post(
        f"{API}/schedules",
        json={"kind": "dusting", "recurrence": "every 7d", "site": "HN", "room": "K1", "assignee": "keeper"},
        headers=m,
    )
    assert r.status_code == 201
    sch_id = r.json()["id"]
    r = c.post(f"{API}/schedules", json={"kind": "floor", "recurrence": "0 8 * * mon", "unit": "K1-G02"}, headers=m)
    assert r.status_code == 201
    for bad in (
        {"kind": "mopping", "recurrence": "every 7d", "unit": "K1-G02"},
        {"kind": "floor", "recurrence": "sometimes", "unit": "K1-G02"},
        {"kind": "floor", "recurrence": "every 7d"},
    ):
        assert c.post(f"{API}/schedules", json=bad, headers=m).status_code == 400, bad
    from datetime import timedelta

    from inventory.db import utcnow

    with sessions() as s:
        due = utcnow().replace(microsecond=0) - timedelta(hours=1)
        task = ensure_task(s, sch_id, due)
        assert task is not None
        assert ensure_task(s, sch_id, due) is None, "the same occurrence must not be created twice"
        s.commit()
        task_id = task.id
    room = c.get(f"{API}/rooms/{world.room_id}", headers=k).json()
    assert [t["id"] for t in room["tasks"]] == [task_id] and room["tasks"][0]["overdue"]
    assert room["climate"] is None and not room["alerts"]  # no provider, or the alerts one with nothing open
    r = c.post(f"{API}/tasks/{task_id}/done", json={"note": "sạch"}, headers=k)
    assert r.status_code == 200 and r.json()["done_by"] == "token:t-keeper"
    assert c.post(f"{API}/tasks/{task_id}/done", json={}, headers=k).status_code == 409
    assert c.post(f"{API}/tasks/999999/done", json={}, headers=k).status_code == 404
    with sessions() as s:
        assert s.get(CleaningTask, task_id).done_at is not None  # type: ignore[union-attr]
    assert c.get(f"{API}/rooms/{world.room_id}", headers=k).json()["tasks"] == []
