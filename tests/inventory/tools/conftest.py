"""Fixtures for the inventory tools tests: Vietnamese file lists (mục lục hồ sơ) as XLSX and CSV."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

HEADERS = [
    "STT",
    "Số hộp",
    "Số hồ sơ",
    "Tiêu đề hồ sơ",
    "Thời gian bắt đầu",
    "Thời gian kết thúc",
    "Thời hạn bảo quản",
    "Số tờ",
    "Ghi chú",
]

ROWS: list[list[Any]] = [
    [1, 1, 1, "Quyết định giao đất huyện Đức Trọng", date(1995, 3, 1), date(1995, 12, 31), "Vĩnh viễn", 45, ""],
    [2, 1, 2, "Hồ sơ thanh tra đất đai năm 1996", "01/02/1996", "30/11/1996", "20 năm", 120, "Bản gốc"],
    [3, 1, 3, "Công văn trao đổi về quy hoạch", "1997", "1998", "10 năm", 33, ""],
    [4, 2, 4, "Báo cáo tổng kết công tác lưu trữ", "03/1999", "12/1999", "Vĩnh viễn", 18, "Rách nhẹ"],
    [5, 2, 5, "Hồ sơ hội nghị cán bộ, công chức", date(2000, 1, 5), date(2000, 1, 6), "VV", 60, ""],
]


def write_xlsx(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS, preamble: bool = True) -> Path:
    """A workbook laid out like a real mục lục: title lines, the header row, a row of column numbers, data."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if preamble:
        ws.append(["UBND TỈNH LÂM ĐỒNG"])
        ws.append(["MỤC LỤC HỒ SƠ"])
        ws.append([])
    ws.append(headers)
    if preamble:
        ws.append([f"({i})" for i in range(1, len(headers) + 1)])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        for r in rows:
            w.writerow([v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in r])
    return path


@pytest.fixture
def muc_luc_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "muc-luc.xlsx", ROWS)


@pytest.fixture
def muc_luc_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "muc-luc.csv", ROWS)
