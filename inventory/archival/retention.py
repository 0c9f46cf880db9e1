"""Retention tables (bảng thời hạn lưu trữ): imported from XLSX or CSV (columns: code, title, retention —
``Vĩnh viễn`` or a number of years), shared (the national table) or an organisation's own; a file's retention is
set from a rule of the table its organisation uses.

An import is checked first (``check_retention_table``: rows read, every refused row with its number and reason)
and written only when no row is refused (``import_retention_table``), replacing the table. Staff tied to an
organisation import only that organisation's own tables; the shared tables are the province's staff's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from inventory.archival.models import Organisation, RetentionRule
from inventory.archival.orgs import get_organisation, keeper_of_box, organisation_of_actor
from inventory.errors import NotFound, RegistryError
from inventory.limits import TITLE_MAX
from inventory.models import File
from inventory.services.boxes import get_box

PERMANENT_WORDS = ("vĩnh viễn", "vinh vien", "vv", "permanent")
TABLE_NAME_MAX = 100  # retention_rules.table_name
CODE_MAX = 32  # retention_rules.code
MAX_ROWS = 20_000  # the national table has a few hundred; a sheet of more is not a retention table
BLANK_END = 1_000  # this many blank rows in a row end the table
MAX_BYTES = 5 * 1024 * 1024  # what the page accepts (a retention table is a few hundred kB at most)
SUFFIXES = (".xlsx", ".csv")


class NotYourTable(RegistryError):
    http_status = 403


def parse_retention(text: str) -> int | None:
    """``Vĩnh viễn`` → None; ``10``, ``10 năm``, ``10 years`` → 10; anything else is a RegistryError."""
    t = text.strip().lower()
    if t in PERMANENT_WORDS:
        return None
    digits = t.replace("năm", "").replace("years", "").replace("year", "").strip()
    if not digits.isdigit() or not 1 <= int(digits) <= 200:
        raise RegistryError(
            f"retention {text!r}: write 'Vĩnh viễn' or a number of years",
            key="ar_rt_bad_retention",
            value=text if len(text) <= 60 else text[:59] + "…",
        )
    return int(digits)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's 10.0 is the 10 typed
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[tuple[str, str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryError("the CSV file is not UTF-8: save it as 'CSV UTF-8'", key="ar_rt_not_utf8") from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for r in csv.reader(io.StringIO(text), dialect):
        cells = [c.strip() for c in [*r, "", "", ""][:3]]
        yield cells[0], cells[1], cells[2]


def _xlsx_rows(data: bytes) -> Iterator[tuple[str, str, str]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell(c) for c in (*row, None, None, None)[:3]]
            yield cells[0], cells[1], cells[2]
    except RegistryError:
        raise
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise RegistryError("not an XLSX or CSV file", key="ar_rt_bad_file") from None


def _rows(data: bytes, filename: str) -> Iterator[tuple[str, str, str]]:
    return _csv_rows(data) if filename.lower().endswith(".csv") else _xlsx_rows(data)


@dataclass(frozen=True, slots=True)
class RefusedRow:
    """A row of the file that cannot be imported: its number in the file and why (``key`` and ``params`` are a
    text of ``inventory.i18n``; ``message`` is the English sentence the API and CLI show)."""

    row: int
    key: str
    params: dict[str, object]
    message: str


@dataclass(slots=True)
class TableCheck:
    """What an import of a file would do: the rows read, the rules it holds, the rows refused."""

    table_name: str
    organisation_id: int | None
    rows_read: int = 0
    rules: list[dict[str, Any]] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    replaces: int = 0  # rules the table holds now, which an import replaces

    @property
    def permanent(self) -> int:
        return sum(r["years"] is None for r in self.rules)


def _ensure_may_import(session: Session, table_name: str, org: Organisation | None, actor: str) -> None:
    mine = organisation_of_actor(session, actor)
    if mine is None:
        return  # the province's staff and machine tokens act for every organisation
    if org is None:
        raise NotYourTable("only staff of every organisation can import a shared retention table", key="ar_rt_shared")
    if org.id != mine:
        raise NotYourTable(
            f"only staff of {org.name} can import its retention tables", key="ar_rt_not_yours", org=org.name
        )
    owners = set(
        session.scalars(select(RetentionRule.organisation_id).where(RetentionRule.table_name == table_name).distinct())
    )
    if owners - {mine}:
        raise NotYourTable(
            f"retention table {table_name} is another organisation's", key="ar_rt_others", table=table_name
        )


def check_retention_table(
    session: Session, table_name: str, data: bytes, filename: str, *, organisation: str | None, actor: str
) -> TableCheck:
    """Read the file and say what importing it would do; nothing is written. A header row is skipped; blank rows
    are ignored. Problems of the whole file (no name, not a table, no rules, not allowed) are RegistryErrors."""
    name = table_name.strip()
    if not name:
        raise RegistryError("name the retention table (e.g. 'Thông tư 10/2022/TT-BNV')", key="ar_rt_no_name")
    if len(name) > TABLE_NAME_MAX:
        raise RegistryError(
            f"a retention table's name has at most {TABLE_NAME_MAX} characters", key="ar_rt_name_long", n=TABLE_NAME_MAX
        )
    org = get_organisation(session, organisation) if organisation else None
    _ensure_may_import(session, name, org, actor)
    if not data.strip():
        raise RegistryError("the file holds no rules", key="ar_rt_empty")
    check = TableCheck(name, org.id if org else None)
    seen: set[str] = set()
    blank = 0
    for i, (code, title, retention) in enumerate(_rows(data, filename), start=1):
        if not any((code, title, retention)):
            blank += 1
            if blank >= BLANK_END:
                break  # a sheet formatted far below its table (or a workbook of empty rows): the table has ended
            continue
        blank = 0
        if i == 1 and not any(ch.isdigit() for ch in code):
            continue  # header
        check.rows_read += 1
        if check.rows_read > MAX_ROWS:
            raise RegistryError(f"more than {MAX_ROWS} rows: not a retention table", key="ar_rt_too_many", n=MAX_ROWS)
        try:
            years = parse_retention(retention)
            if not code or not title:
                raise RegistryError("code and title are needed", key="ar_rt_no_code")
            if len(code) > CODE_MAX or len(title) > TITLE_MAX:
                raise RegistryError(
                    f"code at most {CODE_MAX}, title at most {TITLE_MAX} characters",
                    key="ar_rt_too_long",
                    code=CODE_MAX,
                    title=TITLE_MAX,
                )
            if code in seen:
                raise RegistryError(f"code {code} appears twice", key="ar_rt_twice", code=code)
        except RegistryError as e:
            check.refused.append(RefusedRow(i, e.key, dict(e.params), str(e)))
            continue
        seen.add(code)
        check.rules.append(
            {"table_name": name, "organisation_id": check.organisation_id, "code": code, "title": title, "years": years}
        )
    if not check.rules and not check.refused:
        raise RegistryError("the file holds no rules", key="ar_rt_empty")
    check.replaces = (
        session.scalar(select(func.count()).select_from(RetentionRule).where(RetentionRule.table_name == name)) or 0
    )
    return check


def import_retention_table(
    session: Session,
    table_name: str,
    data: bytes,
    filename: str,
    *,
    organisation: str | None = None,
    actor: str,
) -> int:
    """Replace the rules of ``table_name`` with those of the file; every bad row is reported at once and nothing
    is written then. Returns how many rules were imported."""
    check = check_retention_table(session, table_name, data, filename, organisation=organisation, actor=actor)
    if check.refused:
        errors = [f"row {r.row}: {r.message}" for r in check.refused]
        raise RegistryError(
            f"{len(errors)} error(s), nothing imported: " + "; ".join(errors[:10]),
            key="ar_rt_refused",
            n=len(errors),
        )
    session.execute(delete(RetentionRule).where(RetentionRule.table_name == check.table_name))
    session.execute(insert(RetentionRule), check.rules)
    session.flush()
    return len(check.rules)


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    organisation: str  # code; "" for a shared table
    organisation_name: str
    rules: int
    permanent: int


def list_tables(session: Session) -> list[TableInfo]:
    """Every retention table with its number of rules (and of permanent ones), shared tables first."""
    rows = session.execute(
        select(
            RetentionRule.table_name,
            Organisation.code,
            Organisation.name,
            func.count(),
            func.count().filter(RetentionRule.years.is_(None)),
        )
        .outerjoin(Organisation, Organisation.id == RetentionRule.organisation_id)
        .group_by(RetentionRule.table_name, Organisation.code, Organisation.name)
        .order_by(Organisation.code.is_not(None), Organisation.code, RetentionRule.table_name)
    )
    return [TableInfo(n, c or "", o or "", int(k), int(p)) for n, c, o, k, p in rows]


def table_rules(session: Session, table_name: str) -> list[RetentionRule]:
    """The rules of a table in the order of its file (NotFound when there is no such table)."""
    rules = list(
        session.scalars(
            select(RetentionRule).where(RetentionRule.table_name == table_name.strip()).order_by(RetentionRule.id)
        )
    )
    if not rules:
        raise NotFound(f"no retention table {table_name}", key="ar_rt_no_table", name=table_name)
    return rules


def find_rule(session: Session, table_name: str, code: str) -> RetentionRule:
    rule = session.scalar(
        select(RetentionRule).where(RetentionRule.table_name == table_name.strip(), RetentionRule.code == code.strip())
    )
    if rule is None:
        raise NotFound(f"no rule {code} in retention table {table_name}")
    return rule


def set_file_retention(
    session: Session, box_ref: str, file_number: int, table_name: str, code: str, actor: str
) -> int | None:
    """Set a file's retention from a rule; returns the years (None = permanent)."""
    box = get_box(session, box_ref)
    mine = organisation_of_actor(session, actor)
    if mine is not None and keeper_of_box(session, box) not in (None, mine):
        raise RegistryError(f"box {box.code} is kept by another organisation")
    rule = find_rule(session, table_name, code)
    if rule.organisation_id is not None and rule.organisation_id != keeper_of_box(session, box):
        raise RegistryError(f"retention table {table_name} is another organisation's")
    f = session.scalar(select(File).where(File.box_id == box.id, File.number == file_number))
    if f is None:
        raise NotFound(f"box {box.code} has no file {file_number}")
    f.retention_years = rule.years
    session.flush()
    return rule.years
