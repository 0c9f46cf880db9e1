"""Export boxes with their locations as CSV (UTF-8 with BOM, opens cleanly in Excel) or XLSX; text that could start
a formula is neutralised (``inventory.spreadsheet.cells``)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from inventory.errors import RegistryError
from inventory.models import Box, Catalogue, File, Fonds, Room, Shelf, ShelvingUnit, Site, Slot
from inventory.spreadsheet.cells import safe_cell

# (key, Vietnamese header, English header)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code", "Mã hộp", "Box code"),
    ("fonds", "Phông", "Fonds"),
    ("catalogue", "Mục lục", "Catalogue"),
    ("box_number", "Số hộp", "Box number"),
    ("date_from", "Thời gian bắt đầu", "Start date"),
    ("date_to", "Thời gian kết thúc", "End date"),
    ("files", "Số hồ sơ", "Files"),
    ("processing_state", "Tình trạng chỉnh lý", "Processing state"),
    ("status", "Trạng thái", "Status"),
    ("custodian", "Người giữ", "Custodian"),
    ("home", "Vị trí quy định", "Home slot"),
    ("current", "Vị trí hiện tại", "Current slot"),
    ("room", "Phòng kho", "Room"),
    ("width_m", "Độ dày (m)", "Width (m)"),
    ("condition", "Tình trạng vật lý", "Condition"),
)
BATCH = 5000


def headers(lang: str = "vi") -> list[str]:
    return [en if lang == "en" else vi for _k, vi, en in COLUMNS]


def iter_boxes(session: Session, fonds: str | None = None) -> Iterator[dict[str, Any]]:
    """Every box (optionally of one fonds) with fonds, catalogue, file count and locations, in code order."""
    home = aliased(Slot)
    cur = aliased(Slot)
    files = select(File.box_id, func.count().label("n")).group_by(File.box_id).subquery()
    q = (
        select(
            Box.code,
            Fonds.code.label("fonds"),
            Catalogue.number.label("catalogue"),
            Box.number,
            Box.date_from,
            Box.date_to,
            func.coalesce(files.c.n, 0),
            Box.processing_state,
            Box.status,
            Box.custodian,
            home.code,
            cur.code,
            Site.code.label("site"),
            Room.code.label("room"),
            Box.width_m,
            Box.condition,
        )
        .join(Fonds, Fonds.id == Box.fonds_id)
        .join(Catalogue, Catalogue.id == Box.catalogue_id)
        .outerjoin(files, files.c.box_id == Box.id)
        .outerjoin(home, home.id == Box.home_slot_id)
        .outerjoin(cur, cur.id == Box.current_slot_id)
        .outerjoin(Shelf, Shelf.id == func.coalesce(cur.shelf_id, home.shelf_id))
        .outerjoin(ShelvingUnit, ShelvingUnit.id == Shelf.unit_id)
        .outerjoin(Room, Room.id == ShelvingUnit.room_id)
        .outerjoin(Site, Site.id == Room.site_id)
        .order_by(Fonds.code, Catalogue.number, Box.number)
    )
    if fonds:
        q = q.where(Fonds.code == fonds.strip().upper())
    for row in session.execute(q.execution_options(yield_per=BATCH)):
        (
            code,
            fcode,
            cat,
            num,
            dfrom,
            dto,
            nfiles,
            pstate,
            status,
            custodian,
            hcode,
            ccode,
            site,
            room,
            width,
            cond,
        ) = row
        yield {
            "code": code,
            "fonds": fcode,
            "catalogue": cat,
            "box_number": num,
            "date_from": dfrom,
            "date_to": dto,
            "files": int(nfiles),
            "processing_state": pstate,
            "status": status,
            "custodian": custodian,
            "home": hcode or "",
            "current": ccode or "",
            "room": f"{site}/{room}" if room else "",
            "width_m": float(width),
            "condition": cond,
        }


def export_boxes(
    session: Session,
    out: Path,
    fmt: str | None = None,
    *,
    fonds: str | None = None,
    lang: str = "vi",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the box list to ``out`` (format from ``fmt`` or the file suffix); returns the number of boxes."""
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "xlsx"):
        raise RegistryError(f"unsupported export format {fmt!r}: use csv or xlsx")
    out.parent.mkdir(parents=True, exist_ok=True)
    keys = [k for k, _vi, _en in COLUMNS]
    n = 0
    if fmt == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(headers(lang))
            for rec in iter_boxes(session, fonds):
                w.writerow(
                    [
                        ""
                        if rec[k] is None
                        else (rec[k].isoformat() if hasattr(rec[k], "isoformat") else safe_cell(rec[k]))
                        for k in keys
                    ]
                )
                n += 1
                if progress is not None and n % 1000 == 0:
                    progress(1000)
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Hộp" if lang != "en" else "Boxes")
        ws.append(headers(lang))
        for rec in iter_boxes(session, fonds):
            ws.append([safe_cell(rec[k]) for k in keys])
            n += 1
            if progress is not None and n % 1000 == 0:
                progress(1000)
        wb.save(out)
    if progress is not None and n % 1000:
        progress(n % 1000)
    return n
