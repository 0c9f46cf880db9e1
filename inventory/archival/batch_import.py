"""A batch imported by the receiver from the mục lục hồ sơ a sender without kho produced, in the format kho
exports (``documents.muc_luc_xlsx``): boxes not yet registered are created with their files under the sender's
fonds; the list counts as scanned out by the sender, and the receiver scans the boxes in as they arrive."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inventory.archival.models import TransferBatch, TransferItem
from inventory.archival.orgs import assign_fonds, get_organisation
from inventory.archival.transfers import create_batch, select_boxes
from inventory.db import utcnow
from inventory.errors import RegistryError
from inventory.models import Box, Fonds
from inventory.services.boxes import BoxIn, FileIn, box_code, create_box, create_fonds

HEADER = ("Phông", "Mục lục", "Mã hộp", "Hộp số", "Hồ sơ số", "Tiêu đề hồ sơ")
MAX_ERRORS = 50


class ImportRejected(RegistryError):
    """The file has errors; nothing was imported. ``errors`` lists them (sheet, row, what)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} error(s) in the file, nothing imported: " + "; ".join(errors[:10]))
        self.errors = errors


@dataclass
class _Box:
    fonds: str
    catalogue: int
    number: int
    files: list[FileIn] = field(default_factory=list)


def _date(v: object) -> date | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    text = str(v).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _retention(v: object) -> int | None:
    text = str(v or "").strip().lower()
    if text in ("", "vĩnh viễn", "vv", "permanent"):
        return None
    return int(text.replace("năm", "").replace("years", "").strip())


def read_muc_luc(data: bytes) -> list[_Box]:
    """The boxes and files of a mục lục workbook; ImportRejected with every problem found."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportRejected(["not an XLSX workbook"]) from None
    boxes: dict[tuple[str, int, int], _Box] = {}
    errors: list[str] = []
    for ws in wb.worksheets:
        header_row = None
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = tuple(str(c).strip() if c is not None else "" for c in row)
            if header_row is None:
                if cells[: len(HEADER)] == HEADER:
                    header_row = i
                continue
            if not any(cells):
                continue
            where = f"{ws.title} row {i}"
            try:
                fonds, cat, num, fnum = cells[0].upper(), int(cells[1]), int(cells[3]), int(cells[4])
                title = cells[5]
                if not fonds or not title:
                    raise ValueError
                f = FileIn(
                    fnum,
                    title,
                    _date(row[6]),
                    _date(row[7]),
                    _retention(row[9]),
                    int(row[8] or 0),
                    notes=cells[10] if len(cells) > 10 else "",
                )
            except (ValueError, IndexError):
                errors.append(f"{where}: fonds, catalogue, box, file number and title are needed; dates as dd/mm/yyyy")
                if len(errors) >= MAX_ERRORS:
                    raise ImportRejected(errors) from None
                continue
            boxes.setdefault((fonds, cat, num), _Box(fonds, cat, num)).files.append(f)
        if header_row is None and ws.max_row and ws.max_row > 2:
            errors.append(f"{ws.title}: no header row ({', '.join(HEADER)}, …)")
    if errors:
        raise ImportRejected(errors)
    if not boxes:
        raise ImportRejected(["the file lists no files"])
    return list(boxes.values())


def import_batch(
    session: Session, sender: str, receiver: str, data: bytes, actor: str, *, title: str = ""
) -> TransferBatch:
    """Create the batch (and the boxes the registry does not know yet) from a mục lục workbook."""
    s_org, r_org = get_organisation(session, sender), get_organisation(session, receiver)
    boxes = read_muc_luc(data)
    batch = create_batch(session, s_org.code, r_org.code, actor, by_receiver=True, title=title)
    ids = []
    for b in boxes:
        code = box_code(b.fonds, b.catalogue, b.number)
        existing = session.scalar(select(Box.id).where(Box.code == code))
        if existing is not None:
            ids.append(existing)
            continue
        if session.scalar(select(Fonds.id).where(Fonds.code == b.fonds)) is None:
            assign_fonds(session, create_fonds(session, b.fonds, f"Phông {s_org.name}"), s_org)
        dates = [d for f in b.files for d in (f.date_from, f.date_to) if d]
        spec = BoxIn(
            b.fonds, b.catalogue, b.number, date_from=min(dates, default=None), date_to=max(dates, default=None)
        )
        spec.files = b.files
        ids.append(create_box(session, spec, actor).id)
    select_boxes_for_import(session, batch, ids, actor)
    return batch


def select_boxes_for_import(session: Session, batch: TransferBatch, ids: list[int], actor: str) -> None:
    """Put the boxes on the list as scanned out by the sender (its list is what it sent)."""
    select_boxes(session, batch, actor, box_ids=ids, for_sender=True)
    session.execute(
        update(TransferItem)
        .where(TransferItem.batch_id == batch.id)
        .values(scanned_out_at=utcnow(), scanned_out_by=f"import:{actor}")
    )
    session.flush()
