"""Two-sided scanning in real Chromium at 360 px: the sender's keeper scans boxes out on one phone, the historical
archive's keeper scans them in on another; a box that is not on the list turns up, one never arrives, the batch
cannot close until both are settled. Screenshots go to test-artifacts/archival/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import transfers as tr
from tests.archival.conftest import BOXES, PASSWORD
from tests.browser import chromium, log_in

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "archival"


def test_two_sided_scanning_on_phones(
    server: str, sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    shots = ARTIFACTS / request.node.callspec.params.get("db_url", "db")
    shots.mkdir(parents=True, exist_ok=True)
    with sessions() as s:
        b = tr.create_batch(s, "SNV", "LTLS", "giao", title="Tài liệu Sở Nội vụ năm 2015")
        tr.select_boxes(s, b, "giao", box_codes=[f"P01-ML1-H{i:03d}" for i in range(1, 6)])
        token = sv.box_view(s, sv.get_box(s, "P01-ML1-H002").id).token
        s.commit()
        url = f"{server}/archival/batches/{b.id}"
    codes = [f"P01-ML1-H{i:03d}" for i in range(1, 6)]

    with chromium() as browser:
        phones = {}
        for user in ("giao", "nhan"):
            ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True)
            page = ctx.new_page()
            log_in(page, server, user, PASSWORD, f"/archival/batches/{b.id}")
            expect(page.locator("h1")).to_contain_text(b.code)
            phones[user] = page
        giao, nhan = phones["giao"], phones["nhan"]
        # each side sees only its own scanning form
        expect(giao.locator("#scan-out")).to_be_visible()
        expect(giao.locator("#scan-in")).to_have_count(0)
        expect(nhan.locator("#scan-in")).to_be_visible()
        expect(nhan.locator("#scan-out")).to_have_count(0)
        giao.screenshot(path=str(shots / "01-sender-before.png"), full_page=True)

        # the sender scans out: codes typed, and one label URL as a phone camera reads it
        for raw in [*codes[:1], f"{server}/s/{token}", *codes[2:]]:
            giao.fill("#scan-out input[name=label]", raw)
            giao.click("#scan-out button[type=submit]")
            expect(giao.locator(".flash")).to_contain_text("đã ghi nhận")
        expect(giao.locator("#n-out")).to_have_text("5")
        assert giao.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
        giao.screenshot(path=str(shots / "02-sender-scanned-out.png"), full_page=True)

        # the receiver scans in 4 of 5, into slots, and a box that is not on the list
        for i, code in enumerate(codes[:4]):
            nhan.fill("#scan-in input[name=label]", code)
            nhan.fill("#scan-in input[name=slot]", f"K2-G01-T1-V0{i % 2 + 1}")
            nhan.click("#scan-in button[type=submit]")
            expect(nhan.locator(".flash")).to_contain_text(code)
        nhan.fill("#scan-in input[name=label]", "P01-ML1-H009")
        nhan.fill("#scan-in input[name=slot]", "")
        nhan.click("#scan-in button[type=submit]")
        expect(nhan.locator(".flash")).to_contain_text("KHÔNG có trong danh sách")
        expect(nhan.locator("#n-in")).to_have_text("4")
        expect(nhan.locator("#missing")).to_contain_text(codes[4])
        expect(nhan.locator("#unexpected")).to_contain_text("P01-ML1-H009")
        nhan.screenshot(path=str(shots / "03-receiver-missing-unexpected.png"), full_page=True)
        assert nhan.evaluate("document.documentElement.scrollWidth") <= 360

        # closing is refused and names the boxes
        nhan.click("#close button")
        expect(nhan.locator(".flash")).to_contain_text(codes[4])
        expect(nhan.locator("#state")).to_have_text("Đang giao nhận")
        # a typo keeps the typed code for correction
        nhan.fill("#scan-in input[name=label]", "P01-ML1-H0055")
        nhan.click("#scan-in button[type=submit]")
        expect(nhan.locator(".flash")).to_contain_text("P01-ML1-H0055")
        expect(nhan.locator("#scan-in input[name=label]")).to_have_value("P01-ML1-H0055")
        nhan.screenshot(path=str(shots / "04-receiver-typo.png"), full_page=True)

        # the unexpected box goes back, the last one turns up late; then the batch closes
        nhan.goto(url)
        nhan.click("#unexpected form:nth-of-type(2) button")
        nhan.fill("#scan-in input[name=label]", codes[4])
        nhan.click("#scan-in button[type=submit]")
        nhan.click("#close button")
        expect(nhan.locator(".flash")).to_contain_text(f"Đã hoàn tất lô {b.code}")
        expect(nhan.locator("#state")).to_have_text("Đã hoàn tất")
        nhan.screenshot(path=str(shots / "05-receiver-closed.png"), full_page=True)
        giao.goto(url)
        expect(giao.locator("#n-in")).to_have_text("5")
        expect(giao.locator("#scan-out")).to_have_count(0)
        giao.screenshot(path=str(shots / "06-sender-closed.png"), full_page=True)

    with sessions() as s:
        box = sv.get_box(s, codes[0])
        assert box.current_slot is not None and box.current_slot.code == "K2-G01-T1-V01"
        assert sv.get_box(s, "P01-ML1-H009").current_slot is not None  # sent back: still on the sender's shelf
        assert BOXES == 12


def test_desk_pages_on_a_phone(server: str, sessions: sessionmaker[Session], request: pytest.FixtureRequest) -> None:
    """The overview, due list, backlog, destruction and reconciliation pages at 360 px: no sideways scrolling."""
    from datetime import date, timedelta

    from playwright.sync_api import expect

    from inventory.archival import backlog as bl
    from inventory.archival import destruction as de
    from inventory.archival import reorganisation as ro
    from inventory.archival.settings import ArchivalSettings

    shots = ARTIFACTS / request.node.callspec.params.get("db_url", "db")
    shots.mkdir(parents=True, exist_ok=True)
    today = date.today()
    with sessions() as s:
        files = [
            sv.FileIn(1, "Chứng từ thu chi năm 2014 của văn phòng Sở", date(2014, 1, 1), date(2014, 12, 31), 10, 60)
        ]
        sv.create_box(s, sv.BoxIn("P02", 1, 2, files=files), "seed")
        r = de.open_review(s, "STC", today.year, "tinh")
        for name, role, ok in (
            ("Trần Văn Chủ", "chair", True),
            ("Lê Thị Thư", "secretary", True),
            ("Hoàng Chuyên", "expert", False),
        ):
            m = de.add_member(s, r, name, role, "tinh")
            de.vote(s, r, m.id, ok, "tinh", dissent="" if ok else "Nên giữ thêm để tra cứu")
        de.record_appraisal(s, r, "Sở Nội vụ", "Đồng ý hủy", today - timedelta(days=13), "tinh")
        de.decide(s, r, "QĐ 12/QĐ-STC", today - timedelta(days=12), "Giám đốc Sở Tài chính", "tinh", ArchivalSettings())
        bl.register_backlog(s, "P01", date(today.year - 2, 3, 1), "tinh", stack_heights_cm=[25.0] * 40)
        bl.record_arranged(s, "P01", date(today.year - 1, 6, 1), "tinh", metres=2.5)
        bl.register_backlog(s, "P02", date(today.year - 1, 5, 1), "tinh", metres=4.0)
        reorg = ro.register_reorganisation(s, "Quyết định 1234/QĐ-UBND", today, "sap_nhap", ["STC"], ["SNV"], "tinh")
        ro.start_handover(s, reorg, "tinh")
        s.commit()
        rid, reorg_id = r.id, reorg.id

    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True)
        page = ctx.new_page()
        log_in(page, server, "tinh", PASSWORD, "/archival")
        expect(page.locator(".deadline")).to_contain_text("còn 3 ngày")
        for name, path, check in (
            ("10-overview", "/archival", "#batches"),
            ("11-due", "/archival/due?org=SNV&year=2021", "#due-files"),
            ("12-backlog", "/archival/backlog", ".province"),
            ("13-destruction", f"/archival/destructions/{rid}", "#council"),
            ("14-reconciliation", f"/archival/reorganisations/{reorg_id}", "#reconciliation"),
        ):
            page.goto(f"{server}{path}")
            expect(page.locator(check)).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{path}: sideways scrolling"
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        expect(page.locator("#reconciliation")).to_contain_text("Chưa hoàn tất")
