"""Read a sheet (XLSX or CSV) into raw rows: the header row is found, not assumed to be row 1.

Vietnamese file lists usually start with the agency name and a title ("MỤC LỤC HỒ SƠ") above the
column headers, and often a row of column numbers (1, 2, 3 ...) just below them.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from inventory.errors import RegistryError
from inventory.spreadsheet.mapping import ColumnMap, map_headers
from inventory.spreadsheet.messages import t

HEADER_SEARCH_ROWS = 25


@dataclass
class RawSheet:
    """Header cells, the column map, and data rows as (1-based row number in the file, cell values)."""

    headers: list[str]
    columns: ColumnMap
    rows: list[tuple[int, list[Any]]]


def _iter_file(path: Path) -> Iterator[list[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.active
            assert ws is not None
            for row in ws.iter_rows(values_only=True):
                yield list(row)
        finally:
            wb.close()
    elif suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        # Excel saves "CSV UTF-8" with a BOM; older exports are cp1258/cp1252 (Windows Vietnamese)
        for enc in ("utf-8-sig", "cp1258"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        yield from csv.reader(io.StringIO(text), dialect)
    else:
        raise RegistryError(t("unsupported_file", suffix=suffix or path.name))


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _column_numbers(cells: list[Any]) -> bool:
    """A row like ``1 2 3 4 …`` or ``(1) (2) (3)`` under the header."""
    vals = [str(c).strip().strip("()") for c in cells if c is not None and str(c).strip()]
    return len(vals) >= 3 and vals == [str(i) for i in range(1, len(vals) + 1)]


def read_sheet(path: Path, overrides: dict[str, str] | None = None, lang: str = "vi") -> RawSheet:
    """Load ``path`` and locate the header row (the first of the top rows that maps the key columns)."""
    if not path.is_file():
        raise FileNotFoundError(f"file not found / không thấy tệp: {path}")
    it = _iter_file(path)
    headers: list[str] | None = None
    columns: ColumnMap | None = None
    rows: list[tuple[int, list[Any]]] = []
    for n, cells in enumerate(it, start=1):
        if headers is None:
            if n > HEADER_SEARCH_ROWS:
                break
            texts = ["" if c is None else str(c).strip() for c in cells]
            cols = map_headers(texts, overrides, lang=lang, strict=False)
            if cols.is_usable():
                headers, columns = texts, map_headers(texts, overrides, lang=lang, strict=True)
                columns.require(lang)
            continue
        if _blank(cells):
            continue
        if not rows and _column_numbers(cells):
            continue
        rows.append((n, cells))
    if headers is None or columns is None:
        raise RegistryError(t("no_header", lang))
    return RawSheet(headers=headers, columns=columns, rows=rows)
