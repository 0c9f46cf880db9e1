"""The retention-table page: upload, dry run (rows read, rows refused with their number and reason in the user's
language), confirmation; bad files shown again as 422 pages with the form kept; who may import which table across
organisations; the tables listed with their entry counts and a table's entries."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from urllib.parse import quote

from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.archival import retention as rt
from inventory.archival.models import RetentionRule
from tests.archival.conftest import csrf_of

Clients = Callable[[str | None], TestClient]
TABLE = "Thông tư 10/2022/TT-BNV"
PAGE = "/archival/retention"
GOOD_CSV = (
    "Mã,Tên nhóm hồ sơ,Thời hạn lưu trữ\n"
    "1.1,Hồ sơ xây dựng quy chế làm việc,Vĩnh viễn\n"
    "1.5,Sổ đăng ký văn bản đi,20 năm\n"
    "2.1,Chứng từ kế toán,10\n"
).encode()


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _check(c: TestClient, name: str, data: bytes, table: str = TABLE, organisation: str = "") -> Response:
    """Send the upload form (the dry run)."""
    return c.post(
        PAGE,
        data={"csrf": csrf_of(c, PAGE), "table": table, "organisation": organisation},
        files={"file": (name, data, "application/octet-stream")},
    )


def _rules(sessions: sessionmaker[Session], table: str = TABLE) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(RetentionRule).where(RetentionRule.table_name == table)) or 0


def test_dry_run_then_confirm(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    tinh = client_factory("tinh")
    page = tinh.get("/archival")
    assert 'href="/archival/retention"' in page.text  # linked from the overview
    page = tinh.get(PAGE)
    assert page.status_code == 200 and "Bảng thời hạn lưu trữ" in page.text and "Chưa có bảng" in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf"' in page.text
    r = _check(tinh, "bang.csv", GOOD_CSV)
    text = r.text
    assert r.status_code == 200, text
    assert re.search(r'id="rows-read">3<', text) and re.search(r'id="rows-refused">0<', text)
    assert "Sổ đăng ký văn bản đi" in text and "20 năm" in text and "Vĩnh viễn" in text
    assert "Kết quả kiểm tra (chưa nhập)" in text
    assert _rules(sessions) == 0  # a dry run writes nothing
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', text)
    assert upload_id
    # another session cannot confirm what this one checked
    other = client_factory("tinh")
    r = other.post(f"{PAGE}/confirm", data={"csrf": csrf_of(other, PAGE), "upload_id": upload_id.group(1)})
    assert r.status_code == 422 and "Không còn tệp đã kiểm tra" in r.text and _rules(sessions) == 0
    r = tinh.post(f"{PAGE}/confirm", data={"csrf": csrf_of(tinh, PAGE), "upload_id": upload_id.group(1)})
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}/table?name={quote(TABLE, safe='')}"
    assert _rules(sessions) == 3
    table = tinh.get(r.headers["location"])
    assert "Đã nhập 3 nhóm hồ sơ vào bảng «Thông tư 10/2022/TT-BNV»" in table.text
    assert "Chứng từ kế toán" in table.text and "10 năm" in table.text and "Dùng chung" in table.text
    # the list shows the table with its entry count; a second confirmation of the same upload is refused
    listing = tinh.get(PAGE).text
    assert TABLE in listing and "3 nhóm hồ sơ" in listing and "1 vĩnh viễn" in listing
    r = tinh.post(f"{PAGE}/confirm", data={"csrf": csrf_of(tinh, PAGE), "upload_id": upload_id.group(1)})
    assert r.status_code == 422 and "Không còn tệp đã kiểm tra" in r.text
    # a viewer of another organisation reads the tables and their entries, in English when chosen
    en = client_factory("giao").get(f"{PAGE}/table", params={"name": TABLE, "lang": "en"})
    assert en.status_code == 200 and "Permanent" in en.text and "20 years" in en.text and "3 entries" in en.text
    assert 'id="upload"' not in client_factory("giao").get(PAGE).text  # no import form for a keeper
    missing = tinh.get(f"{PAGE}/table", params={"name": "Không có"})
    assert missing.status_code == 404 and "Không có bảng thời hạn «Không có»" in missing.text
    # importing again replaces the table; the dry run says how many entries it replaces
    r = _check(tinh, "bang.xlsx", _xlsx([["Mã", "Tên", "Thời hạn"], ["3.1", "Báo cáo năm", 10.0]]))
    text = r.text
    assert r.status_code == 200 and "Số nhóm của bảng hiện có (sẽ được thay)" in text
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', text)
    assert upload_id
    tinh.post(f"{PAGE}/confirm", data={"csrf": csrf_of(tinh, PAGE), "upload_id": upload_id.group(1)})
    with sessions() as s:
        assert [(r.code, r.years) for r in rt.table_rules(s, TABLE)] == [("3.1", 10)]


def test_refused_rows_and_bad_files_keep_the_form(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    tinh = client_factory("tinh")
    bad = _xlsx(
        [
            ["Mã", "Tên", "Thời hạn"],
            ["2.1", "Chứng từ kế toán", "10"],
            ["2.2", "", "10"],
            ["2.3", "Báo cáo tháng", "mãi mãi"],
            ["2.1", "Trùng mã", "5"],
            ["X" * 40, "Mã quá dài", "5"],
        ]
    )
    r = _check(tinh, "bang.xlsx", bad, table="Bảng của Sở")
    text = r.text
    assert r.status_code == 422
    assert "Tệp có 4 dòng bị từ chối: chưa nhập gì" in text
    assert re.search(r'id="rows-read">5<', text) and re.search(r'id="rows-refused">4<', text)
    rows = re.findall(r"<tr><td>(\d+)</td><td[^>]*>([^<]+)</td></tr>", text)
    assert [int(n) for n, _ in rows] == [3, 4, 5, 6]
    reasons = dict(rows)
    assert reasons["3"] == "thiếu mã hoặc tên nhóm hồ sơ"
    assert "thời hạn «mãi mãi» không hợp lệ" in reasons["4"]
    assert reasons["5"] == "mã 2.1 xuất hiện hai lần" and "mã dài tối đa 32 ký tự" in reasons["6"]
    assert 'value="Bảng của Sở"' in text and 'name="upload_id"' not in text  # the form kept, nothing to confirm
    assert "Traceback" not in text and '{"detail"' not in text
    en = tinh.post(
        f"{PAGE}?lang=en",
        data={"csrf": csrf_of(tinh, PAGE), "table": "Bảng của Sở"},
        files={"file": ("bang.xlsx", bad, "application/octet-stream")},
    )
    assert en.status_code == 422 and "4 rows refused: nothing imported" in en.text
    assert "retention «mãi mãi» is not valid" in en.text and "code 2.1 appears twice" in en.text
    tinh.get(PAGE, params={"lang": "vi"})

    cases = [
        ("bang.pdf", b"%PDF-1.4 not a table", "Tệp phải là bảng tính XLSX hoặc CSV"),
        ("bang.xlsx", b"", "Tệp không có dòng nào"),
        ("bang.csv", b"\n\n", "Tệp không có dòng nào"),
        ("bang.xlsx", b"PK\x03\x04 broken zip", "Không đọc được tệp"),
        ("bang.csv", "1.1;Hồ sơ;Vĩnh viễn\n".encode("utf-16"), "không ở mã UTF-8"),
        ("bang.csv", b"1.1," + b"x" * (rt.MAX_BYTES + 10), "Tệp lớn hơn 5 MB"),
    ]
    for name, data, words in cases:
        r = _check(tinh, name, data, table="Bảng của Sở")
        text = r.text
        assert r.status_code == 422, (name, text[:300])
        assert words in text and 'value="Bảng của Sở"' in text, (name, words)
        assert 'id="upload"' in text and "Traceback" not in text
    r = tinh.post(PAGE, data={"csrf": csrf_of(tinh, PAGE), "table": "Bảng của Sở"})  # no file chosen
    assert r.status_code == 422 and "Hãy chọn tệp bảng thời hạn" in r.text and 'value="Bảng của Sở"' in r.text
    # a table below 1,000 blank rows is not read (a sheet formatted far down ends where its table ends)
    r = _check(tinh, "bang.csv", GOOD_CSV + b",,\n" * rt.BLANK_END + b"9.9,Sau nhieu dong trong,abc\n")
    assert r.status_code == 200 and re.search(r'id="rows-read">3<', r.text)
    r = _check(tinh, "bang.csv", GOOD_CSV, table="")
    text = r.text
    assert r.status_code == 422 and "Hãy nhập tên bảng" in text
    # semicolons, as Excel writes CSV in some locales, and no header row
    r = _check(tinh, "bang.csv", "1.1;Hồ sơ quy chế;Vĩnh viễn\n1.2;Công văn;5 năm\n".encode(), table="Bảng của Sở")
    text = r.text
    assert r.status_code == 200 and re.search(r'id="rows-read">2<', text)
    assert _rules(sessions, "Bảng của Sở") == 0


def test_who_may_import_which_table(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    tinh, khac, giao = client_factory("tinh"), client_factory("khac"), client_factory("giao")
    # a keeper may not import (the API's rule: manager), through the page or the API
    r = giao.post(
        PAGE,
        data={"csrf": csrf_of(giao, PAGE), "table": TABLE},
        files={"file": ("bang.csv", GOOD_CSV, "text/csv")},
    )
    assert r.status_code == 403
    # the manager of Sở Tài chính: only its own tables; the select offers only STC and no shared table
    page = khac.get(PAGE).text
    assert '<option value="STC"' in page and '<option value="SNV"' not in page and "Dùng chung (mọi" not in page
    r = _check(khac, "bang.csv", GOOD_CSV, organisation="SNV")
    text = r.text
    assert r.status_code == 403 and "Chỉ cán bộ của Sở Nội vụ" in text
    r = _check(khac, "bang.csv", GOOD_CSV, organisation="")
    text = r.text
    assert r.status_code == 403 and "bảng dùng chung" in text
    # the province's staff import the shared table; STC may not replace it under its own name
    r = _check(tinh, "bang.csv", GOOD_CSV)
    text = r.text
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', text)
    assert upload_id
    tinh.post(f"{PAGE}/confirm", data={"csrf": csrf_of(tinh, PAGE), "upload_id": upload_id.group(1)})
    r = _check(khac, "bang.csv", GOOD_CSV, organisation="STC")
    text = r.text
    assert r.status_code == 403 and "là của cơ quan khác" in text
    r = khac.post(
        "/api/archival/retention",
        data={"table": TABLE, "organisation": "STC"},
        files={"file": ("bang.csv", GOOD_CSV, "text/csv")},
        headers={"X-CSRF-Token": csrf_of(khac)},
    )
    assert r.status_code == 403 and "another organisation's" in r.json()["detail"]
    assert _rules(sessions) == 3
    # its own table under its own name
    r = _check(khac, "bang.csv", GOOD_CSV, table="Bảng riêng Sở Tài chính", organisation="STC")
    text = r.text
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', text)
    assert r.status_code == 200 and upload_id
    r = khac.post(f"{PAGE}/confirm", data={"csrf": csrf_of(khac, PAGE), "upload_id": upload_id.group(1)})
    assert r.status_code == 303
    listing = tinh.get(PAGE).text
    assert "Bảng riêng Sở Tài chính" in listing and "STC · Sở Tài chính" in listing
    # the form without the CSRF token is refused
    r = khac.post(PAGE, data={"table": "x"}, files={"file": ("bang.csv", GOOD_CSV, "text/csv")})
    assert r.status_code == 403
