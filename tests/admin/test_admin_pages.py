"""Administration driven through the pages in real Chromium at 360×780: rooms with limit overrides and shelving in
bulk; users, roles and API tokens; spreadsheet import with the dry-run report before committing; label printing
returning the PDF; statistics. Screenshots (and the labels rendered to PNG) go to test-artifacts/admin/."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from inventory.models import Box, Room, ShelvingUnit, Slot, User
from tests.admin.conftest import PASSWORD, Wall
from tests.browser import chromium, log_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
HEADERS = ["STT", "Số hộp", "Số hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu", "Thời gian kết thúc", "Thời hạn bảo quản"]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


def _fits(page: object) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # type: ignore[attr-defined]


def test_places_and_users_through_the_pages(wall: Wall) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 780})  # type: ignore[attr-defined]
        log_in(page, wall.url, "admin", PASSWORD)
        page.click("#admin-link")
        expect(page.locator("#admin-links a")).to_have_count(15)
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "10-admin-home.png"), full_page=True)

        # a new photo room with a narrower target: a wrong band is refused in words, the input kept
        page.click("#admin-links a[href='/admin/places']")
        page.click("#new-room summary")
        form = page.locator("#new-room form")
        form.locator("select[name=site]").select_option("QT")
        form.locator("input[name=code]").fill("F2")
        form.locator("input[name=name]").fill("Kho phim âm bản")
        form.locator("select[name=climate_class]").select_option("photo")
        form.locator("input[name=target_t_c_lo]").fill("14")
        form.locator("input[name=target_t_c_hi]").fill("12")
        form.locator("button[type=submit]").click()
        expect(page.locator("#form-error")).to_contain_text("Chưa lưu")
        form = page.locator("#new-room form")
        expect(form.locator("input[name=name]")).to_have_value("Kho phim âm bản")
        form.locator("input[name=target_t_c_hi]").fill("15")
        form.locator("button[type=submit]").click()
        expect(page.locator("#room-QT-F2")).to_contain_text("Nhiệt độ mục tiêu (°C) 14.0–15.0")
        # 2 units × 3 shelves × 4 slots in the new room
        page.click("#new-shelving summary")
        sh = page.locator("#new-shelving form")
        with wall.sessions() as s:
            f2 = s.scalar(select(Room).where(Room.code == "F2"))
            assert f2 is not None and f2.climate_overrides == {"target_t_c": [14.0, 15.0]}
            f2_id = f2.id
        sh.locator("select[name=room]").select_option(str(f2_id))
        sh.locator("input[name=units]").fill("2")
        sh.locator("input[name=shelves]").fill("3")
        sh.locator("input[name=slots]").fill("4")
        sh.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("Đã tạo 2 giá (F2-G01 … F2-G02), 24 vị trí")
        expect(page.locator("#room-QT-F2")).to_contain_text("2 giá, 24 vị trí")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "11-places.png"), full_page=True)
        with wall.sessions() as s:
            assert s.scalar(select(ShelvingUnit).where(ShelvingUnit.code == "F2-G02")) is not None
            assert s.scalar(select(Slot).where(Slot.code == "F2-G02-T3-V04")) is not None

        # users: a too-short password is refused; then a new keeper who can log in
        page.goto(f"{wall.url}/admin/users")
        page.click("#new-user summary")
        nu = page.locator("#new-user form")
        nu.locator("input[name=username]").fill("lan.nguyen")
        nu.locator("input[name=display_name]").fill("Nguyễn Thị Lan")
        nu.locator("input[name=password]").fill("ngan")
        nu.locator("button[type=submit]").click()
        expect(page.locator("#form-error")).to_contain_text("Chưa lưu")
        nu = page.locator("#new-user form")
        expect(nu.locator("input[name=username]")).to_have_value("lan.nguyen")
        nu.locator("input[name=password]").fill("mật-khẩu-của-lan")
        nu.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("Đã tạo người dùng lan.nguyen")
        expect(page.locator("#user-lan\\.nguyen")).to_contain_text("Thủ kho")
        # promote her to manager
        u = page.locator("#user-lan\\.nguyen")
        u.locator("summary").click()
        u.locator("select[name=role]").select_option("manager")
        u.locator("button[type=submit]").click()
        expect(page.locator("#user-lan\\.nguyen")).to_contain_text("Quản lý")
        # an API token, shown once, that works and then is revoked
        page.fill("input[name=name][placeholder^=grafana]", "scanner-1")
        page.click("button:has-text('Tạo token')")
        secret = page.locator("#new-token-secret").input_value()
        assert secret.startswith("kho_")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "12-users.png"), full_page=True)
        assert httpx.get(f"{wall.url}/api/alerts", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        page.once("dialog", lambda d: d.accept())
        page.click("li.token[data-name=scanner-1] button")
        expect(page.locator("li.token[data-name=scanner-1]")).to_contain_text("đã thu hồi")
        assert httpx.get(f"{wall.url}/api/alerts", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        page.click("header form button")  # log out
        with wall.sessions() as s:
            assert s.scalar(select(User.role).where(User.username == "lan.nguyen")) == "manager"
        log_in(page, wall.url, "lan.nguyen", "mật-khẩu-của-lan")
        expect(page.locator("#admin-link")).to_be_visible()
        page.goto(f"{wall.url}/admin/users")
        expect(page.locator("main")).to_contain_text("quyền")  # managers do not manage users


def test_import_labels_and_stats_through_the_pages(wall: Wall, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bad = _csv(
        tmp_path / "muc-luc-loi.csv",
        [
            ["1", "1", "1", "Hồ sơ xây dựng chợ", "2001", "2003", "Vĩnh viễn"],
            ["2", "1", "2", "", "2002", "2002", "10"],
            ["3", "x", "3", "Báo cáo năm", "2004", "2004", "10"],
        ],
    )
    good = _csv(
        tmp_path / "muc-luc.csv",
        [
            ["1", "1", "1", "Hồ sơ xây dựng chợ", "2001", "2003", "Vĩnh viễn"],
            ["2", "1", "2", "Tờ trình cấp đất", "2002", "2002", "10"],
            ["3", "2", "1", "Báo cáo tổng kết năm 2004", "2004", "2004", "10"],
        ],
    )
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True)  # type: ignore[attr-defined]
        page = ctx.new_page()
        log_in(page, wall.url, "manager", PASSWORD)
        page.goto(f"{wall.url}/admin/import")
        page.set_input_files("input[type=file]", str(bad))
        page.fill("#upload input[name=fonds]", "P7")
        page.fill("#upload input[name=fonds_name]", "UBND huyện Gio Linh")
        page.click("#upload button[type=submit]")
        expect(page.locator("#report-errors")).to_contain_text("2 lỗi")
        expect(page.locator("#report table")).to_contain_text("3")
        expect(page.locator("#commit")).to_have_count(0)
        expect(page.locator("#upload input[name=fonds]")).to_have_value("P7")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "13-import-errors.png"), full_page=True)
        page.set_input_files("input[type=file]", str(good))
        page.click("#upload button[type=submit]")
        expect(page.locator("#boxes-created")).to_have_text("2")
        expect(page.locator("#files-created")).to_have_text("3")
        page.screenshot(path=str(ARTIFACTS / "14-import-dry-run.png"), full_page=True)
        with wall.sessions() as s:
            assert s.scalars(select(Box)).all() == []  # the dry run wrote nothing
        page.click("#commit button")
        expect(page.locator(".flash")).to_contain_text("Đã nhập 3 dòng: 2 hộp, 3 hồ sơ")
        with wall.sessions() as s:
            assert sorted(s.scalars(select(Box.code))) == ["P7-ML1-H001", "P7-ML1-H002"]

        # labels of the fonds' boxes, as a PDF
        page.goto(f"{wall.url}/admin/labels")
        page.select_option("select[name=fonds]", "P7")
        with page.expect_download() as dl:
            page.click("#labels button[type=submit]")
        pdf = tmp_path / "labels.pdf"
        dl.value.save_as(pdf)
        assert pdf.read_bytes()[:5] == b"%PDF-"
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "15-labels")], check=True)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "P7-ML1-H001" in text and "P7-ML1-H002" in text
        # a selection of one box; an empty choice says so in words
        page.fill("textarea[name=selection]", "P7-ML1-H002")
        with page.expect_download() as dl:
            page.click("#labels button[type=submit]")
        dl.value.save_as(tmp_path / "one.pdf")
        one = subprocess.run(["pdftotext", str(tmp_path / "one.pdf"), "-"], capture_output=True, text=True).stdout
        assert "P7-ML1-H002" in one and "P7-ML1-H001" not in one
        page.fill("textarea[name=selection]", "KHONG-CO")
        page.click("#labels button[type=submit]")
        expect(page.locator("#form-error")).to_contain_text("Không có nhãn nào")
        expect(page.locator("textarea[name=selection]")).to_have_value("KHONG-CO")

        page.goto(f"{wall.url}/admin/stats")
        expect(page.locator("#fonds-boxes g[data-label=P7]")).to_have_attribute("data-value", "2")
        expect(page.locator("#fonds-table")).to_contain_text("P7")
        _fits(page)
        page.screenshot(path=str(ARTIFACTS / "16-stats.png"), full_page=True)
        with page.expect_download() as dl:
            page.click("a[href='/admin/export?fmt=xlsx&fonds=P7']")
        assert dl.value.suggested_filename == "kho-boxes-P7.xlsx"
