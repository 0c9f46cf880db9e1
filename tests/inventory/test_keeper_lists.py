"""Stocktake at scanning speed (JSON answers for the background scanner, decisions for misplaced boxes), search
that counts and pages and finds the tail of a code, and the home page's list of what to do today."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.db import utcnow
from inventory.models import Box, BoxEvent, ReshelveTask
from tests.inventory.conftest import World, csrf_of
from tests.inventory.test_keeper_forms import assert_vietnamese, visible_text

JSON = {"Accept": "application/json"}


def _start(c: TestClient, world: World, shelf: str = "K1-G01-T1") -> int:
    r = c.post(f"/shelf/{world.shelf_ids[shelf]}/stocktake", data={"csrf": csrf_of(c)})
    assert r.status_code == 303
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_background_scans_tick_count_and_say_duplicates(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        sv.place_box(s, sv.get_box(s, "P12-ML3-H004"), "K1-G01-T2-V01", "seed")
        token = sv.box_view(s, world.box_ids["P12-ML3-H001"]).token
        s.commit()
    c = client_factory("keeper")
    tok = csrf_of(c)
    st = _start(c, world)

    def scan(label: str) -> dict[str, object]:
        r = c.post(f"/stocktake/{st}/scan", data={"csrf": tok, "label": label}, headers=JSON)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        return dict(r.json())

    d = scan(f"https://kho.example/s/{token}")  # what the camera reads off the label
    assert (d["status"], d["duplicate"], d["scanned"], d["kind"]) == ("found", False, 1, "ok")
    assert d["text"] == "✓ P12-ML3-H001" and 'id="found"' in str(d["html"]) and "P12-ML3-H001" in str(d["html"])
    d = scan("P12-ML3-H001")  # the same box by its code: same label? no, another raw value, still one box
    assert d["status"] == "found" and d["scanned"] == 2
    d = scan(f"https://kho.example/s/{token}")
    assert d["duplicate"] is True and d["text"] == "P12-ML3-H001: đã quét" and d["scanned"] == 2
    d = scan("P12-ML3-H004")
    assert d["status"] == "misplaced" and d["text"] == "✓ P12-ML3-H004 — để sai chỗ, thuộc K1-G01-T2-V01"
    d = scan("P9-XX")
    assert d["status"] == "unknown" and d["text"] == "✗ Mã lạ: P9-XX — không có hộp nào mang nhãn này"
    d = scan("K1-G01-T1-V01")
    assert d["status"] == "not_a_box" and d["text"] == "✗ K1-G01-T1-V01 không phải nhãn hộp"
    r = c.post(f"/stocktake/{st}/scan", data={"csrf": tok, "label": " "}, headers=JSON)
    assert r.status_code == 404 and r.json() == {"ok": False, "text": "Hãy quét hoặc nhập mã hộp"}
    # without JavaScript the same scan answers with the page and the message
    page = c.post(f"/stocktake/{st}/scan", data={"csrf": tok, "label": "P12-ML3-H002"}, follow_redirects=True).text
    assert "✓ P12-ML3-H002" in page and re.search(r'id="scanned">6<', page)
    # confirming shows what will change before it is done
    text = visible_text(page)
    assert "Khi xác nhận sẽ ghi" in text and "3 hộp được kiểm kê" in text and "1 hộp thất lạc: P12-ML3-H003" in text
    assert 'name="place-' in page
    assert_vietnamese(page)


def test_confirm_records_misplaced_boxes_here_or_for_reshelving(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        sv.create_box(s, sv.BoxIn("P12", 3, 5, title="Hộp 5"), "seed")
        sv.place_box(s, sv.get_box(s, "P12-ML3-H004"), "K1-G01-T2-V01", "seed")
        sv.place_box(s, sv.get_box(s, "P12-ML3-H005"), "K1-G01-T2-V02", "seed")
        s.commit()
    c = client_factory("keeper")
    tok = csrf_of(c)
    st = _start(c, world)
    for code in ("P12-ML3-H001", "P12-ML3-H002", "P12-ML3-H003", "P12-ML3-H004", "P12-ML3-H005"):
        assert c.post(f"/stocktake/{st}/scan", data={"csrf": tok, "label": code}, headers=JSON).status_code == 200
    h4, h5 = world.box_ids["P12-ML3-H004"], sv_id(sessions, "P12-ML3-H005")
    v03 = world.slot_ids["K1-G01-T1-V03"]
    r = c.post(
        f"/stocktake/{st}/confirm",
        data={"csrf": tok, f"place-{h4}": "here", f"place-{h4}-slot": str(v03), f"place-{h5}": "reshelve"},
        follow_redirects=True,
    )
    assert "Đã xác nhận: 3 hộp đúng chỗ, 0 thất lạc, 2 sai chỗ" in r.text
    with sessions() as s:
        b4, b5 = s.get_one(Box, h4), s.get_one(Box, h5)
        assert b4.current_slot_id == v03 and b4.home_slot_id == world.slot_ids["K1-G01-T2-V01"]
        ev = s.scalars(select(BoxEvent).where(BoxEvent.box_id == h4).order_by(BoxEvent.id.desc())).first()
        assert ev is not None and (ev.kind, ev.to_slot_id, ev.reason) == ("moved", v03, "stocktake")
        assert b5.current_slot_id == world.slot_ids["K1-G01-T2-V02"]
        assert s.get(ReshelveTask, h5) is not None and s.get(ReshelveTask, h4) is None
    page4 = c.get(f"/box/{h4}").text
    assert "<b>Chuyển vị trí</b>" in page4 and "ghi khi kiểm kê" in page4 and ">stocktake<" not in page4
    assert_vietnamese(page4)
    # the box page says it is to be re-shelved (not a plain green "Trên giá"), the history is in Vietnamese
    page = c.get(f"/box/{h5}").text
    assert 'id="reshelve">Cần đưa về vị trí<' in page
    assert "<b>Kiểm kê</b> (để sai vị trí)" in page and ">misplaced<" not in page
    assert_vietnamese(page)
    # search and home list it; putting it away ends the task
    assert "Cần đưa về vị trí" in c.get("/search?q=H005").text
    home = c.get("/").text
    assert re.search(r'id="today-reshelve".*P12-ML3-H005</a> → <span class="code">K1-G01-T2-V02', home, re.S)
    c.post(f"/box/{h5}/move", data={"csrf": tok, "slot": "K1-G01-T2-V03"})
    assert 'id="reshelve"' not in c.get(f"/box/{h5}").text and 'id="today-reshelve"' not in c.get("/").text


def sv_id(sessions: sessionmaker[Session], code: str) -> int:
    with sessions() as s:
        return sv.get_box(s, code).id


def test_search_counts_pages_and_finds_the_tail_of_a_code(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        for n in range(5, 76):
            sv.create_box(s, sv.BoxIn("P12", 3, n, title=f"Hộp {n}"), "seed")
        sv.create_fonds(s, "P7", "Sở Tư pháp")
        sv.create_box(s, sv.BoxIn("P7", 1, 1, title="Hộp một"), "seed")
        sv.place_box(s, sv.get_box(s, "P12-ML3-H004"), "K1-G01-T2-V01", "seed")
        sv.place_box(s, sv.get_box(s, "P12-ML3-H004"), "K1-G01-T2-V02", "seed")
        s.commit()
    c = client_factory("viewer")
    page = c.get("/search?q=P12").text
    assert re.search(r'id="count"><b>75 kết quả</b> · trang 1/3', page)
    assert page.count('<a class="code" href="/box/') == 30 and 'id="next-page"' in page
    page3 = c.get("/search?q=P12&page=3").text
    assert page3.count('<a class="code" href="/box/') == 15 and "trang 3/3" in page3 and 'id="next-page"' not in page3
    codes = set(re.findall(r"<b>(P12-ML3-H\d+)</b>", page + c.get("/search?q=P12&page=2").text + page3))
    assert len(codes) == 75, "every result is on some page"
    # the tail of a code, as read off a label; and "H1" as a keeper may type it
    page = c.get("/search?q=H001").text
    assert re.search(r'id="count"><b>2 kết quả</b>', page) and "P12-ML3-H001" in page and "P7-ML1-H001" in page
    assert set(re.findall(r"<b>(P\d+-ML\d-H\d+)</b>", c.get("/search?q=ml3-h1").text)) >= {"P12-ML3-H001"}
    # misplaced and checked-out boxes are marked
    page = c.get("/search?q=H004").text
    assert "Để sai vị trí" in page and "Vị trí quy định" in page and "K1-G01-T2-V01" in page
    assert_vietnamese(page)


def test_home_says_what_to_do_today(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    class Alerts:
        def open_for_room(self, room_id: int) -> list[dict[str, object]]:
            return [{"severity": "critical", "summary": "Độ ẩm 72 % quá ngưỡng", "started_at": utcnow()}]

    with sessions() as s:
        sch = sv.create_schedule(
            s, kind="floor", recurrence="every 7d", actor="seed", site_code="HN", room_code="K1", assignee="keeper"
        )
        sv.ensure_task(s, sch.id, utcnow().replace(microsecond=0) - timedelta(hours=2))
        other = sv.create_schedule(
            s, kind="dusting", recurrence="every 7d", actor="seed", site_code="HN", room_code="K1", assignee="admin"
        )
        sv.ensure_task(s, other.id, utcnow().replace(microsecond=0) - timedelta(hours=2))
        b1 = sv.get_box(s, "P12-ML3-H001")
        sv.check_out(s, b1, "Phòng đọc — chị Mai", "reading_room", "seed")
        b1.due_back = date.today() - timedelta(days=3)
        st = sv.start_stocktake(s, "K1-G01-T1", "seed")
        sv.scan_box(s, st.id, "P12-ML3-H002")
        sv.confirm_stocktake(s, st.id, "seed")  # H003 not scanned: missing
        s.commit()
    c = client_factory("keeper")
    c.app.state.alerts_provider = Alerts()  # type: ignore[attr-defined]
    page = c.get("/").text
    assert re.search(r'id="today-tasks">.*Vệ sinh sàn.*quá hạn', page, re.S)
    assert "Lau bụi" not in page, "another keeper's task is not on this keeper's list"
    assert re.search(r'id="today-alerts">.*Độ ẩm 72 % quá ngưỡng.*HN-K1', page, re.S)
    assert re.search(r'id="today-loans">.*P12-ML3-H001.*Phòng đọc — chị Mai', page, re.S)
    assert re.search(r'id="today-missing">.*P12-ML3-H003.*K1-G01-T1-V02', page, re.S)
    assert_vietnamese(page)
