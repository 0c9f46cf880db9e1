"""Turn raw sheet rows into checked file records, collecting every error with its row number."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from inventory.spreadsheet.messages import t
from inventory.spreadsheet.reader import RawSheet
from inventory.textnorm import normalize


@dataclass(frozen=True)
class FileRow:
    """One file (hồ sơ) of the list, validated. ``retention_years`` None means permanent (vĩnh viễn)."""

    row: int
    fonds: str | None
    catalogue: int | None
    box_number: int
    file_number: int
    title: str
    date_from: date | None
    date_to: date | None
    retention_years: int | None
    pages: int
    access: str
    notes: str


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Validated:
    rows: list[FileRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


_ACCESS = {
    "": "open",
    "open": "open",
    "cong khai": "open",
    "su dung rong rai": "open",
    "tu do": "open",
    "restricted": "restricted",
    "han che": "restricted",
    "han che su dung": "restricted",
    "secret": "secret",
    "mat": "secret",
    "toi mat": "secret",
    "tuyet mat": "secret",
}
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_Y = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^\s*(.+?)\s*(?:-|–|—|đến|den|to)\s*(.+?)\s*$")
_YEARS = re.compile(r"^(\d{1,3})\s*(nam|years?|y)?$")


class _Bad(ValueError):
    """A cell value that does not parse; the message is already user-facing."""


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def parse_int(v: Any, lang: str = "vi") -> int:
    """A whole number from a cell (Excel gives floats like ``12.0``)."""
    if isinstance(v, bool):
        raise _Bad(t("not_int", lang, value=v))
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    s = _text(v)
    if re.fullmatch(r"\d+", s):
        return int(s)
    raise _Bad(t("not_int", lang, value=v))


def parse_date(v: Any, end: bool = False, lang: str = "vi") -> date | None:
    """A date from a cell: Excel date, ``dd/mm/yyyy``, ``yyyy-mm-dd``, ``mm/yyyy`` or ``yyyy``.

    Partial dates widen to the period's first day (start) or last day (``end=True``).
    """
    if v is None or _text(v) == "":
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = _text(v)
    try:
        if m := _DMY.match(s):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _YMD.match(s):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MY.match(s):
            y, mo = int(m[2]), int(m[1])
            return date(y, mo, calendar.monthrange(y, mo)[1] if end else 1)
        if m := _Y.match(s):
            y = int(m[1])
            return date(y, 12, 31) if end else date(y, 1, 1)
    except ValueError:
        pass
    raise _Bad(t("bad_date", lang, value=s))


def parse_range(v: Any, lang: str = "vi") -> tuple[date | None, date | None]:
    """``"1995 - 2003"``, ``"01/02/1995 - 2003"`` or a single date/year → (start, end)."""
    if isinstance(v, (date, datetime)):
        d = parse_date(v)
        return d, d
    s = _text(v)
    if not s:
        return None, None
    # a single dd-mm-yyyy date also contains dashes: try it whole first
    try:
        return parse_date(s, lang=lang), parse_date(s, end=True, lang=lang)
    except _Bad:
        pass
    m = _RANGE.match(s)
    if not m:
        raise _Bad(t("bad_date", lang, value=s))
    return parse_date(m[1], lang=lang), parse_date(m[2], end=True, lang=lang)


def parse_retention(v: Any, lang: str = "vi") -> int | None:
    """``Vĩnh viễn`` / ``VV`` / empty → None (permanent); ``10 năm`` / ``10`` → 10."""
    s = normalize(_text(v))
    if s in ("", "vinh vien", "vv", "permanent"):
        return None
    if m := _YEARS.match(s):
        return int(m[1])
    raise _Bad(t("bad_retention", lang, value=_text(v)))


class _Row:
    """Cell access and error collection for one sheet row."""

    def __init__(self, sheet: RawSheet, rowno: int, cells: list[Any], lang: str) -> None:
        self.idx = sheet.columns.index
        self.headers = sheet.headers
        self.rowno = rowno
        self.cells = cells
        self.lang = lang
        self.errors: list[RowError] = []

    def cell(self, fld: str) -> Any:
        i = self.idx.get(fld)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def has(self, fld: str) -> bool:
        return fld in self.idx

    def error(self, fld: str, message: str) -> None:
        i = self.idx.get(fld)
        self.errors.append(RowError(self.rowno, self.headers[i] if i is not None else fld, message))

    def get(self, fld: str, fn: Any, **kw: Any) -> Any:
        try:
            return fn(self.cell(fld), lang=self.lang, **kw)
        except _Bad as e:
            self.error(fld, str(e))
            return None

    def need_int(self, fld: str) -> int | None:
        if _text(self.cell(fld)) == "":
            self.error(fld, t("missing_value", self.lang))
            return None
        n: int | None = self.get(fld, parse_int)
        if n is not None and n <= 0:
            self.error(fld, t("not_positive", self.lang, value=n))
            return None
        return n


def validate(
    sheet: RawSheet, default_fonds: str | None = None, default_catalogue: int | None = None, lang: str = "vi"
) -> Validated:
    """Check every row; a row with any error contributes errors only (never a partial record)."""
    out = Validated()
    seen: dict[tuple[str | None, int | None, int, int], int] = {}
    for rowno, cells in sheet.rows:
        r = _Row(sheet, rowno, cells, lang)
        fonds = _text(r.cell("fonds")) or default_fonds
        catalogue = default_catalogue
        if r.has("catalogue") and _text(r.cell("catalogue")):
            catalogue = r.need_int("catalogue")
        box = r.need_int("box_number")
        fnum = r.need_int("file_number")
        title = " ".join(_text(r.cell("title")).split())
        if not title:
            r.error("title", t("missing_value", lang))
        d_from = d_to = None
        if r.has("dates"):
            rng = r.get("dates", parse_range)
            if rng is not None:
                d_from, d_to = rng
        if r.has("date_from"):
            d_from = r.get("date_from", parse_date) or d_from
        if r.has("date_to"):
            d_to = r.get("date_to", parse_date, end=True) or d_to
        if d_from and d_to and d_from > d_to:
            r.error("date_from", t("date_order", lang))
        retention = r.get("retention", parse_retention)
        pages = 0
        if _text(r.cell("pages")):
            pages = r.get("pages", parse_int) or 0
        access = _ACCESS.get(normalize(_text(r.cell("access"))))
        if access is None:
            r.error("access", t("bad_access", lang, value=_text(r.cell("access"))))
        if box is not None and fnum is not None:
            key = (fonds, catalogue, box, fnum)
            if key in seen:
                r.error("file_number", t("duplicate_file", lang, file=fnum, box=box, first=seen[key]))
            else:
                seen[key] = rowno
        if r.errors:
            out.errors.extend(r.errors)
            continue
        assert box is not None and fnum is not None and access is not None
        out.rows.append(
            FileRow(
                row=rowno,
                fonds=fonds,
                catalogue=catalogue,
                box_number=box,
                file_number=fnum,
                title=title,
                date_from=d_from,
                date_to=d_to,
                retention_years=retention,
                pages=pages,
                access=access,
                notes=_text(r.cell("notes")),
            )
        )
    return out
