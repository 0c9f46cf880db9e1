"""The retention-table page and the destruction page's scanned documents in real Chromium at 360 px: a file with
refused rows, a good one checked and confirmed, a table's entries; a PDF and an image attached to a destruction
file and a text file refused. No sideways scrolling. Screenshots go to test-artifacts/archival/ (and to
``$KHO_SHOTS_DIR`` when it is set)."""

from __future__ import annotations

import io
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import destruction as de
from tests.archival.conftest import PASSWORD
from tests.archival.test_browser import ARTIFACTS
from tests.browser import chromium, log_in

pytestmark = pytest.mark.browser


def _shot(page: object, shots: Path, name: str) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    extra = os.environ.get("KHO_SHOTS_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / f"{name}.png")


def test_retention_and_destruction_documents_on_a_phone(
    server: str, sessions: sessionmaker[Session], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = ARTIFACTS / request.node.callspec.params.get("db_url", "db")
    shots.mkdir(parents=True, exist_ok=True)
    bad_csv = tmp_path / "bang-loi.csv"
    bad_csv.write_text(
        "Mã,Tên nhóm hồ sơ,Thời hạn\n1.1,Hồ sơ xây dựng quy chế làm việc của cơ quan,Vĩnh viễn\n"
        "1.2,,10\n1.3,Tập lưu công văn đi của văn phòng,mãi mãi không hủy\n1.1,Trùng mã,5\n",
        encoding="utf-8",
    )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Mã", "Tên nhóm hồ sơ", "Thời hạn lưu trữ"])
    rows = [
        ("1.1", "Hồ sơ xây dựng, ban hành điều lệ tổ chức, quy chế làm việc, chế độ, quy định, hướng dẫn", "Vĩnh viễn"),
        ("1.2", "Hồ sơ hội nghị tổng kết, sơ kết công tác của cơ quan, tổ chức", "Vĩnh viễn"),
        ("1.3", "Tập lưu văn bản đi của cơ quan, tổ chức (bản chính)", "Vĩnh viễn"),
        ("1.4", "Sổ đăng ký văn bản đi, văn bản đến", "20 năm"),
        ("2.12", "Hồ sơ thanh tra, kiểm tra việc thực hiện chế độ, chính sách", "15"),
        ("3.7", "Chứng từ kế toán sử dụng trực tiếp để ghi sổ kế toán", "10"),
    ]
    for r in rows:
        ws.append(list(r))
    good = tmp_path / "bang-thoi-han-tt10.xlsx"
    wb.save(good)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Van ban tham dinh")
    pdf_path = tmp_path / "van-ban-tham-dinh-so-25-SNV-ngay-02-01-2026.pdf"
    pdf_path.write_bytes(bytes(pdf.output()))
    buf = io.BytesIO()
    Image.new("RGB", (120, 160), (230, 225, 210)).save(buf, "JPEG")
    jpg = tmp_path / "quyet-dinh-huy.jpg"
    jpg.write_bytes(buf.getvalue())
    txt = tmp_path / "ghi-chu.pdf"
    txt.write_text("chỉ là văn bản thường", encoding="utf-8")
    with sessions() as s:
        files = [sv.FileIn(1, "Chứng từ thu chi năm 2014 của văn phòng Sở", date(2014, 1, 1), date(2014, 12, 31), 10)]
        sv.create_box(s, sv.BoxIn("P02", 1, 2, files=files), "seed")
        rid = de.open_review(s, "STC", 2025, "khac").id
        s.commit()

    with chromium() as browser:
        ctx = browser.new_context(
            viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        page = ctx.new_page()
        log_in(page, server, "tinh", PASSWORD, "/archival")
        page.click("#retention-link")
        expect(page.locator("h1")).to_have_text("Bảng thời hạn lưu trữ")

        page.fill("#upload input[name=table]", "Thông tư 10/2022/TT-BNV")
        page.set_input_files("#upload input[name=file]", str(bad_csv))
        page.click("#upload button[type=submit]")
        expect(page.locator("#form-error")).to_contain_text("3 dòng bị từ chối")
        expect(page.locator("#refused")).to_contain_text("mã 1.1 xuất hiện hai lần")
        expect(page.locator("#upload input[name=table]")).to_have_value("Thông tư 10/2022/TT-BNV")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "refused rows: sideways scrolling"
        _shot(page, shots, "retention-refused-360")

        page.set_input_files("#upload input[name=file]", str(good))
        page.click("#upload button[type=submit]")
        expect(page.locator("#rows-read")).to_have_text("6")
        expect(page.locator("#confirm")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "dry run: sideways scrolling"
        _shot(page, shots, "retention-360")
        page.click("#confirm button")
        expect(page.locator(".flash")).to_contain_text("Đã nhập 6 nhóm hồ sơ")
        expect(page.locator("#rules")).to_contain_text("Chứng từ kế toán")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "entries: sideways scrolling"
        _shot(page, shots, "retention-table-360")
        page.goto(f"{server}/archival/retention")
        expect(page.locator("#tables")).to_contain_text("6 nhóm hồ sơ · 3 vĩnh viễn")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "tables: sideways scrolling"
        _shot(page, shots, "retention-list-360")

        page.goto(f"{server}/archival/destructions/{rid}")
        page.select_option("#doc-upload select[name=kind]", "appraisal")
        page.set_input_files("#doc-upload input[name=file]", str(pdf_path))
        page.click("#doc-upload button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("Đã đính kèm")
        page.select_option("#doc-upload select[name=kind]", "decision")
        page.set_input_files("#doc-upload input[name=file]", str(jpg))
        page.click("#doc-upload button[type=submit]")
        expect(page.locator("#doc-list li")).to_have_count(2)
        page.locator("#documents").scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "documents: sideways scrolling"
        _shot(page, shots, "destruction-files-360")
        with page.expect_download() as dl:
            page.click("#doc-list li:first-child a")
        assert dl.value.suggested_filename == pdf_path.name
        page.set_input_files("#doc-upload input[name=file]", str(txt))
        page.click("#doc-upload button[type=submit]")
        expect(page.locator("#doc-error")).to_contain_text("Văn bản phải là tệp PDF hoặc ảnh")
        expect(page.locator("#doc-error")).to_be_in_viewport()  # the answer opens at the form, not the top
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _shot(page, shots, "destruction-files-refused-360")
