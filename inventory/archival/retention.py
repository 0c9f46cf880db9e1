"""Retention tables (bảng thời hạn lưu trữ): imported from XLSX or CSV (columns: code, title, retention —
``Vĩnh viễn`` or a number of years), shared (the national table) or an organisation's own; a file's retention is
set from a rule of the table its organisation uses."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from inventory.archival.models import RetentionRule
from inventory.archival.orgs import get_organisation, keeper_of_box, organisation_of_actor
from inventory.errors import NotFound, RegistryError
from inventory.models import File
from inventory.services.boxes import get_box

PERMANENT_WORDS = ("vĩnh viễn", "vinh vien", "vv", "permanent")


def parse_retention(text: str) -> int | None:
    """``Vĩnh viễn`` → None; ``10``, ``10 năm``, ``10 years`` → 10; anything else is a RegistryError."""
    t = text.strip().lower()
    if t in PERMANENT_WORDS:
        return None
    digits = t.replace("năm", "").replace("years", "").replace("year", "").strip()
    if not digits.isdigit() or not 1 <= int(digits) <= 200:
        raise RegistryError(f"retention {text!r}: write 'Vĩnh viễn' or a number of years")
    return int(digits)


def _rows(data: bytes, filename: str) -> list[tuple[str, str, str]]:
    if filename.lower().endswith(".csv"):
        text = data.decode("utf-8-sig")
        rows = []
        for r in csv.reader(io.StringIO(text)):
            cells = [c.strip() for c in [*r, "", "", ""][:3]]
            rows.append((cells[0], cells[1], cells[2]))
        return rows
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise RegistryError("not an XLSX or CSV file") from None
    out = []
    for row in wb.worksheets[0].iter_rows(values_only=True):
        cells = [str(c).strip() if c is not None else "" for c in (*row, "", "", "")[:3]]
        out.append((cells[0], cells[1], cells[2]))
    return out


def import_retention_table(
    session: Session, table_name: str, data: bytes, filename: str, *, organisation: str | None = None
) -> int:
    """Replace the rules of ``table_name`` with those of the file (a header row is skipped); every bad row is
    reported at once and nothing is written then. Returns how many rules were imported."""
    if not table_name.strip():
        raise RegistryError("name the retention table (e.g. 'Thông tư 10/2022/TT-BNV')")
    org_id = get_organisation(session, organisation).id if organisation else None
    rules, errors, seen = [], [], set()
    for i, (code, title, retention) in enumerate(_rows(data, filename), start=1):
        if not any((code, title, retention)):
            continue
        if i == 1 and not any(ch.isdigit() for ch in code):
            continue  # header
        try:
            years = parse_retention(retention)
            if not code or not title:
                raise RegistryError("code and title are needed")
            if code in seen:
                raise RegistryError(f"code {code} appears twice")
        except RegistryError as e:
            errors.append(f"row {i}: {e}")
            continue
        seen.add(code)
        rules.append(
            {"table_name": table_name.strip(), "organisation_id": org_id, "code": code, "title": title, "years": years}
        )
    if errors:
        raise RegistryError(f"{len(errors)} error(s), nothing imported: " + "; ".join(errors[:10]))
    if not rules:
        raise RegistryError("the file holds no rules")
    session.execute(delete(RetentionRule).where(RetentionRule.table_name == table_name.strip()))
    session.execute(insert(RetentionRule), rules)
    session.flush()
    return len(rules)


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
