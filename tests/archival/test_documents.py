"""The mục lục hồ sơ (XLSX, PDF) and the biên bản giao nhận (PDF, 2 copies): rendered with pdftoppm and read
back with pdftotext, Vietnamese diacritics included."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import documents as docs
from inventory.archival import transfers as tr
from tests.archival.conftest import bulk_boxes, make_fonds, make_org


def _batch(s: Session) -> tr.TransferBatch:
    make_org(s, "LTLS", "Trung tâm Lưu trữ lịch sử tỉnh Quảng Trị", "historical_archive")
    org = make_org(s, "SNV", "Sở Nội vụ tỉnh Quảng Trị")
    bulk_boxes(s, make_fonds(s, "P01", "Phông Sở Nội vụ", org), 40, width_m=0.125)
    b = tr.create_batch(
        s,
        "SNV",
        "LTLS",
        "t",
        title="Tài liệu Sở Nội vụ giai đoạn 2010–2015",
        legal_basis="Luật Lưu trữ 33/2024/QH15; Thông tư 06/2025/TT-BNV",
        sender_rep="Nguyễn Thị Hằng",
        sender_rep_position="Trưởng phòng Hành chính",
        receiver_rep="Lê Văn Đức",
        receiver_rep_position="Giám đốc",
        condition="Tài liệu khô, sạch, không rách",
    )
    tr.select_boxes(s, b, "t", fonds="P01")
    return b


def _text(pdf: bytes, tmp: Path, name: str) -> tuple[str, list[Path]]:
    path = tmp / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp / name)], check=True)
    return out, sorted(tmp.glob(f"{name}-*.png"))


def test_bien_ban_two_copies_with_quantities(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions() as s:
        b = _batch(s)
        text, pages = _text(docs.bien_ban_pdf(s, b), tmp_path, "bb")
    assert len(pages) == 2 and all(p.stat().st_size > 2000 for p in pages)
    assert text.count("BIÊN BẢN") == 2
    assert "Bản số 1/2 — bên giao giữ" in text and "Bản số 2/2 — bên nhận giữ" in text
    assert "5.00 mét giá, gồm 40 hộp (cặp), 80 hồ sơ" in text  # 40 × 125 mm
    assert "01/01/2015 – 31/12/2015" in text
    for words in ("Nguyễn Thị Hằng", "Lê Văn Đức", "ĐẠI DIỆN BÊN NHẬN", "ĐẠI DIỆN BÊN GIAO", "Tài liệu khô, sạch"):
        assert words in text
    left, right = text.index("ĐẠI DIỆN BÊN NHẬN"), text.index("ĐẠI DIỆN BÊN GIAO")
    assert left < right  # receiver left, giver right


def test_muc_luc_pdf_and_xlsx_list_permanent_and_limited_apart(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions() as s:
        b = _batch(s)
        text, pages = _text(docs.muc_luc_pdf(s, b), tmp_path, "ml")
        xlsx = docs.muc_luc_xlsx(s, b)
    assert len(pages) >= 2
    perm, lim = text.index("MỤC LỤC HỒ SƠ BẢO QUẢN VĨNH VIỄN"), text.index("MỤC LỤC HỒ SƠ BẢO QUẢN CÓ THỜI HẠN")
    assert perm < lim
    assert "Hồ sơ 2.1 về quản lý đất đai" in text[perm:lim] and "Hồ sơ 1.1 về quản lý đất đai" in text[lim:]
    assert "10 năm" in text[lim:] and "10 năm" not in text[perm:lim]
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["Vĩnh viễn", "Có thời hạn"]
    rows = list(wb["Vĩnh viễn"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 40 and rows[0][:5] == ("P01", 1, "P01-ML1-H002", 2, 1)
    assert {r[9] for r in rows} == {"Vĩnh viễn"}
    assert len(list(wb["Có thời hạn"].iter_rows(min_row=4, values_only=True))) == 40


def test_receiver_imports_a_batch_from_a_sender_without_kho(sessions: sessionmaker[Session]) -> None:
    """The mục lục kho exports, as a sender without kho fills it in, imported by the receiver: boxes created,
    the list counted as scanned out, the receiver scans in; a bad row rejects the whole file, naming the row."""
    from openpyxl import Workbook

    from inventory.archival.batch_import import ImportRejected, import_batch
    from inventory.archival.orgs import organisation_of_actor
    from tests.archival.conftest import make_user

    with sessions() as s:
        b = _batch(s)  # a kho export to use as the template
        xlsx = docs.muc_luc_xlsx(s, b)
        hist = make_org(s, "LTLX", "Lưu trữ lịch sử tỉnh (khác)", "historical_archive")
        make_org(s, "UBX", "UBND xã Gio Linh", "commune")
        make_user(s, "nhan2", "keeper", hist)
        assert organisation_of_actor(s, "nhan2") == hist.id
        # the commune fills the same layout with its own fonds
        wb = load_workbook(io.BytesIO(xlsx))
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=4):
                row[0].value = "X09"
                row[2].value = ""
        buf = io.BytesIO()
        wb.save(buf)
        batch = import_batch(s, "UBX", "LTLX", buf.getvalue(), "nhan2", title="Tài liệu xã Gio Linh")
        rep = tr.batch_report(s, batch)
        assert len(rep.expected) == 40 and len(rep.scanned_out) == 40 and rep.received == []
        assert sv.get_box(s, "X09-ML1-H002").files[0].title == "Hồ sơ 2.1 về quản lý đất đai"
        assert sv.get_box(s, "X09-ML1-H001").files[0].retention_years == 10
        tr.scan_many(s, batch, "in", rep.expected, "nhan2")
        assert tr.close_batch(s, batch, "nhan2").state == "closed"

        bad = Workbook()
        ws = bad.active
        assert ws is not None
        ws.append(["MỤC LỤC HỒ SƠ"])
        ws.append([""])
        ws.append(
            [
                "Phông",
                "Mục lục",
                "Mã hộp",
                "Hộp số",
                "Hồ sơ số",
                "Tiêu đề hồ sơ",
                "Bắt đầu",
                "Kết thúc",
                "Số tờ",
                "Thời hạn",
            ]
        )
        ws.append(["X10", 1, "", 1, 1, "Sổ hộ tịch", "01/01/2010", "31/12/2010", 40, "Vĩnh viễn"])
        ws.append(["X10", 1, "", "hai", 1, "Sổ địa chính", "01/01/2010", "31/12/2010", 40, "10 năm"])
        buf = io.BytesIO()
        bad.save(buf)
        with pytest.raises(ImportRejected, match="Sheet row 5"):
            import_batch(s, "UBX", "LTLX", buf.getvalue(), "nhan2")
        with pytest.raises(ImportRejected, match="not an XLSX"):
            import_batch(s, "UBX", "LTLX", b"hello", "nhan2")
