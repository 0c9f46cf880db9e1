"""Importing file lists (mục lục hồ sơ): XLSX and CSV with Vietnamese headers, mapping, dry run, idempotence,
all-or-nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import session_scope
from inventory.errors import RegistryError
from inventory.models import Box, BoxEvent, Catalogue, File, Fonds, LabelToken
from inventory.spreadsheet.importer import ImportRejected, import_file
from inventory.spreadsheet.mapping import parse_mapping
from inventory.spreadsheet.reader import read_sheet
from inventory.spreadsheet.validate import parse_date, parse_range, parse_retention
from tests.inventory.tools.conftest import HEADERS, ROWS, write_csv, write_xlsx


def _counts(s: Session) -> tuple[int, int, int, int, int]:
    return (
        s.scalar(select(func.count(Fonds.id))) or 0,
        s.scalar(select(func.count(Box.id))) or 0,
        s.scalar(select(func.count(File.id))) or 0,
        s.scalar(select(func.count()).select_from(LabelToken)) or 0,
        s.scalar(select(func.count(BoxEvent.id))) or 0,
    )


def test_xlsx_import_creates_boxes_and_files(sessions: sessionmaker[Session], muc_luc_xlsx: Path) -> None:
    with session_scope(sessions) as s:
        rep = import_file(s, muc_luc_xlsx, actor="admin", fonds="P12", catalogue=3, fonds_name="UBND tỉnh Lâm Đồng")
    assert (rep.rows, rep.boxes_created, rep.files_created, rep.files_updated) == (5, 2, 5, 0)
    with session_scope(sessions) as s:
        assert _counts(s) == (1, 2, 5, 2, 2)
        b1 = s.scalar(select(Box).where(Box.code == "P12-ML3-H001"))
        assert b1 is not None and b1.catalogue.number == 3 and b1.fonds.name == "UBND tỉnh Lâm Đồng"
        assert (b1.date_from, b1.date_to) == (date(1995, 3, 1), date(1998, 12, 31))
        files = {f.number: f for f in b1.files}
        assert files[1].title == "Quyết định giao đất huyện Đức Trọng" and files[1].retention_years is None
        assert (files[2].date_from, files[2].date_to, files[2].retention_years, files[2].pages, files[2].notes) == (
            date(1996, 2, 1),
            date(1996, 11, 30),
            20,
            120,
            "Bản gốc",
        )
        assert (files[3].date_from, files[3].date_to) == (date(1997, 1, 1), date(1998, 12, 31))
        assert files[1].title_norm == "quyet dinh giao dat huyen duc trong"
        b2 = s.scalar(select(Box).where(Box.code == "P12-ML3-H002"))
        assert b2 is not None and [f.number for f in b2.files] == [4, 5]
        assert b2.files[0].date_to == date(1999, 12, 31) and b2.files[1].retention_years is None
        ev = s.scalar(select(BoxEvent).where(BoxEvent.box_id == b1.id))
        assert ev is not None and (ev.kind, ev.actor) == ("created", "admin")


def test_reimport_is_idempotent_and_updates_only_changes(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS)
    with session_scope(sessions) as s:
        import_file(s, path, actor="a", fonds="P12", catalogue=3, fonds_name="UBND")
    with session_scope(sessions) as s:
        before = _counts(s)
        tokens = sorted(s.scalars(select(LabelToken.token)))
    with session_scope(sessions) as s:
        rep = import_file(s, path, actor="a", fonds="P12", catalogue=3)
    assert not rep.changed and rep.files_unchanged == 5
    with session_scope(sessions) as s:
        assert _counts(s) == before
        assert sorted(s.scalars(select(LabelToken.token))) == tokens  # labels already printed stay valid

    changed = [list(r) for r in ROWS]
    changed[1][3] = "Hồ sơ thanh tra đất đai năm 1996 (bổ sung)"
    changed.append([6, 3, 6, "Hồ sơ mới", "2001", "2001", "5 năm", 7, ""])
    with session_scope(sessions) as s:
        rep = import_file(s, write_xlsx(tmp_path / "b.xlsx", changed), actor="a", fonds="P12", catalogue=3)
    assert (rep.boxes_created, rep.files_created, rep.files_updated, rep.files_unchanged) == (1, 1, 1, 4)
    with session_scope(sessions) as s:
        f = s.scalar(select(File).join(Box).where(Box.code == "P12-ML3-H001", File.number == 2))
        assert f is not None and f.title.endswith("(bổ sung)") and "bo sung" in f.title_norm


def test_csv_import_and_column_mapping(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    headers = ["Hộp", "HS", "Trích yếu", "Thời gian", "THBQ", "Số trang", "Phông", "Mục lục"]
    rows = [
        [1, 1, "Tờ trình về ngân sách", "1990 - 1992", "Vĩnh viễn", 12, "P7", 1],
        [1, 2, "Biên bản họp", "05/1991", "10 năm", 3, "P7", 1],
        [2, 1, "Công văn đi", "1993", "", "", "P7", 2],
    ]
    path = write_csv(tmp_path / "list.csv", rows, headers)
    # "Hộp", "Trích yếu", "Thời gian", "THBQ", "Số trang", "Phông", "Mục lục" are known; "HS" needs a mapping
    with pytest.raises(RegistryError, match="file_number"):
        read_sheet(path)
    mapping = parse_mapping(["HS=file_number"])
    with session_scope(sessions) as s:
        create = import_file(s, path, actor="a", mapping=mapping, fonds_name="Sở Tài chính")
    assert (create.boxes_created, create.files_created) == (2, 3)
    with session_scope(sessions) as s:
        codes = sorted(s.scalars(select(Box.code)))
        assert codes == ["P7-ML1-H001", "P7-ML2-H002"]
        assert sorted(s.scalars(select(Catalogue.number))) == [1, 2]
        f = s.scalar(select(File).where(File.title == "Biên bản họp"))
        assert f is not None and (f.date_from, f.date_to, f.retention_years) == (
            date(1991, 5, 1),
            date(1991, 5, 31),
            10,
        )
    with session_scope(sessions) as s:
        assert not import_file(s, path, actor="a", mapping=mapping).changed


def test_dry_run_reports_and_writes_nothing(sessions: sessionmaker[Session], muc_luc_csv: Path) -> None:
    with session_scope(sessions) as s:
        rep = import_file(s, muc_luc_csv, actor="a", fonds="P12", fonds_name="UBND", dry_run=True)
    assert rep.dry_run and (rep.boxes_created, rep.files_created) == (2, 5)
    with session_scope(sessions) as s:
        assert _counts(s) == (0, 0, 0, 0, 0)


def test_errors_are_reported_by_row_and_nothing_is_written(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    bad = [list(r) for r in ROWS]
    bad[1][1] = "hai"  # box number not a number (sheet row 7: 3 title rows, header, column numbers)
    bad[2][3] = ""  # no title
    bad[3][4], bad[3][5] = "31/12/2001", "01/01/2000"  # start after end
    bad[4][6] = "mãi mãi"  # retention unreadable
    bad.append([6, 2, 5, "Trùng số hồ sơ", "2000", "2000", "VV", 1, ""])  # duplicate of box 2 file 5
    path = write_xlsx(tmp_path / "bad.xlsx", bad)
    with session_scope(sessions) as s, pytest.raises(ImportRejected) as exc:
        import_file(s, path, actor="a", fonds="P12", fonds_name="UBND")
    errs = [(e.row, e.column) for e in exc.value.report.errors]
    assert errs == [
        (7, "Số hộp"),
        (8, "Tiêu đề hồ sơ"),
        (9, "Thời gian bắt đầu"),
        (10, "Thời hạn bảo quản"),
        (11, "Số hồ sơ"),
    ]
    assert "hai" in exc.value.report.errors[0].message
    assert "dòng 10" in exc.value.report.errors[-1].message
    with session_scope(sessions) as s:
        assert _counts(s) == (0, 0, 0, 0, 0)


def test_failure_midway_rolls_back_everything(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Fonds P1 exists, fonds P2 does not: P1's boxes are written first, then P2 fails; nothing may remain."""
    headers = ["Phông", "Số hộp", "Số hồ sơ", "Tiêu đề hồ sơ"]
    rows = [["P1", 1, 1, "Hồ sơ A"], ["P1", 2, 2, "Hồ sơ B"], ["P2", 1, 1, "Hồ sơ C"]]
    path = write_xlsx(tmp_path / "two.xlsx", rows, headers, preamble=False)
    from inventory.services import create_fonds

    with session_scope(sessions) as s:
        create_fonds(s, "P1", "Phông một")
    with pytest.raises(RegistryError, match="P2"), session_scope(sessions) as s:
        import_file(s, path, actor="a")
    with session_scope(sessions) as s:
        assert _counts(s) == (1, 0, 0, 0, 0)


def test_english_messages_and_bad_mapping(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="unknown field"):
        parse_mapping(["Hộp=boxnumber"], lang="en")
    with pytest.raises(RegistryError, match="dạng"):
        parse_mapping(["Hộp"])
    path = write_xlsx(tmp_path / "h.xlsx", [], ["Tên", "Địa chỉ"], preamble=False)
    with pytest.raises(RegistryError, match="no header row"):
        read_sheet(path, lang="en")
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(RegistryError, match="không hỗ trợ"):
        read_sheet(pdf)
    with pytest.raises(FileNotFoundError):
        read_sheet(tmp_path / "missing.xlsx")
    assert HEADERS[1] == "Số hộp"


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("1995 - 2003", date(1995, 1, 1), date(2003, 12, 31)),
        ("01/02/1996 – 30/11/1996", date(1996, 2, 1), date(1996, 11, 30)),
        ("12-03-1999", date(1999, 3, 12), date(1999, 3, 12)),
        ("03/1999", date(1999, 3, 1), date(1999, 3, 31)),
        ("1990 đến 1991", date(1990, 1, 1), date(1991, 12, 31)),
    ],
)
def test_date_parsing(value: str, start: date, end: date) -> None:
    assert parse_range(value) == (start, end)


def test_cell_parsers() -> None:
    assert parse_date(2001.0) == date(2001, 1, 1)
    assert parse_retention("Vĩnh viễn") is None and parse_retention("VV") is None
    assert parse_retention("70 năm") == 70 and parse_retention(15.0) == 15
    with pytest.raises(ValueError):
        parse_date("31/02/2001")
