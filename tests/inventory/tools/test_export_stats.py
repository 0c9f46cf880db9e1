"""Exports (CSV/XLSX of boxes with locations) and statistics per fonds and per room, with known values."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import session_scope
from inventory.models import Slot
from inventory.services import BoxIn, check_out, create_box, create_fonds, get_box, place_box
from inventory.spreadsheet.export import export_boxes, headers
from inventory.spreadsheet.importer import import_file
from inventory.spreadsheet.stats import fonds_stats, room_stats
from tests.inventory.tools.helpers import make_site


def _setup(sessions: sessionmaker[Session], xlsx: Path) -> list[str]:
    with session_scope(sessions) as s:
        make_site(s)
        create_fonds(s, "P12", "UBND tỉnh Lâm Đồng")
        create_fonds(s, "P40", "Sở Xây dựng")  # no boxes yet
        import_file(s, xlsx, actor="a", fonds="P12", catalogue=3)
        create_box(s, BoxIn(fonds="P12", catalogue=3, number=10, processing_state="backlog", width_m=0.2), actor="a")
        slots = list(s.scalars(select(Slot.code).order_by(Slot.id)))
        place_box(s, get_box(s, "P12-ML3-H001"), slots[0], "keeper")
        place_box(s, get_box(s, "P12-ML3-H002"), slots[1], "keeper")
    with session_scope(sessions) as s:
        check_out(s, get_box(s, "P12-ML3-H002"), "Nguyễn Văn An", "reading_room", "keeper")
    return slots


def test_stats_per_fonds_and_room(sessions: sessionmaker[Session], muc_luc_xlsx: Path) -> None:
    _setup(sessions, muc_luc_xlsx)
    with session_scope(sessions) as s:
        fs = {f.code: f for f in fonds_stats(s)}
        rs = room_stats(s)
    p12 = fs["P12"]
    assert (p12.boxes, p12.files, p12.metres, p12.processed_boxes, p12.backlog_boxes) == (3, 5, 0.4, 2, 1)
    assert (fs["P40"].boxes, fs["P40"].files, fs["P40"].metres) == (0, 0, 0.0)
    assert len(rs) == 1
    room = rs[0]
    # 2 shelves × 3 slots × 2 boxes; H002 is checked out so only H001 occupies a place
    assert (room.site, room.room, room.slots, room.capacity_boxes, room.capacity_m) == ("LD", "K1", 6, 12, 3.0)
    assert (room.boxes, room.metres) == (1, 0.1)
    assert round(room.occupancy_pct, 2) == 8.33


def test_export_csv_and_xlsx_with_locations(
    sessions: sessionmaker[Session], muc_luc_xlsx: Path, tmp_path: Path
) -> None:
    slots = _setup(sessions, muc_luc_xlsx)
    with session_scope(sessions) as s:
        n_csv = export_boxes(s, tmp_path / "boxes.csv", fonds="p12")
        n_xlsx = export_boxes(s, tmp_path / "boxes.xlsx", lang="en")
    assert n_csv == n_xlsx == 3
    raw = (tmp_path / "boxes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 Vietnamese correctly
    with (tmp_path / "boxes.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    by_code = {r["Mã hộp"]: r for r in rows}
    assert list(by_code) == ["P12-ML3-H001", "P12-ML3-H002", "P12-ML3-H010"]
    h1, h2, h10 = by_code.values()
    assert (h1["Vị trí quy định"], h1["Vị trí hiện tại"], h1["Phòng kho"], h1["Trạng thái"]) == (
        slots[0],
        slots[0],
        "LD/K1",
        "in_place",
    )
    assert (h1["Số hồ sơ"], h1["Thời gian bắt đầu"], h1["Thời gian kết thúc"]) == ("3", "1995-03-01", "1998-12-31")
    assert (h2["Trạng thái"], h2["Người giữ"], h2["Vị trí hiện tại"], h2["Vị trí quy định"], h2["Phòng kho"]) == (
        "checked_out",
        "Nguyễn Văn An",
        "",
        slots[1],
        "LD/K1",
    )
    assert (h10["Tình trạng chỉnh lý"], h10["Phòng kho"], h10["Số hồ sơ"]) == ("backlog", "", "0")

    ws = load_workbook(tmp_path / "boxes.xlsx", read_only=True).active
    assert ws is not None
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    assert table[0] == headers("en")
    assert [r[0] for r in table[1:]] == ["P12-ML3-H001", "P12-ML3-H002", "P12-ML3-H010"]
    assert table[1][table[0].index("Current slot")] == slots[0]
    assert table[2][table[0].index("Custodian")] == "Nguyễn Văn An"
