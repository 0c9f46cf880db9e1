"""When files are due: in the current archive (year ended + 1) and, for permanent files of transfer sources, in
the historical archive (by the fonds' rule); the due list of an organisation for a year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.archival.models import (
    BatchState,
    BoxArchival,
    FondsArchival,
    Organisation,
    OrgKind,
    TransferBatch,
    TransferItem,
    TransferRule,
)
from inventory.archival.settings import ArchivalSettings
from inventory.models import Box, BoxStatus, File, Fonds

CURRENT = "current"
HISTORICAL = "historical"


def year_ended(file_date_to: date | None, box_date_to: date | None) -> int | None:
    """The year the work of a file ended: the year of its end date, else of its box's end date."""
    if file_date_to is not None:
        return file_date_to.year
    return box_date_to.year if box_date_to is not None else None


def due_in_current(ended: int, cfg: ArchivalSettings) -> int:
    """The year by whose end a file must be in the current archive."""
    return ended + cfg.current_archive_years


def due_in_historical(rule: str, ended: int, into_current: int | None, cfg: ArchivalSettings) -> int:
    """The year by whose end a permanent file must be in the historical archive. ``into_current`` is the year it
    entered the current archive; unknown, it is taken as the year it was due there."""
    if rule == TransferRule.LAW_2011:
        return ended + cfg.historical_years_2011
    entered = into_current if into_current is not None else due_in_current(ended, cfg)
    years = cfg.historical_years_extended if rule == TransferRule.THIRTY_YEARS else cfg.historical_years
    return entered + years


def is_overdue(due_year: int, today: date) -> bool:
    """Due "within" a year means by 31 December of it: overdue from 1 January of the next."""
    return today.year > due_year


@dataclass(frozen=True, slots=True)
class DueFile:
    """A file due for transfer: where (``stage`` current|historical), by which year, and whether already late."""

    file_id: int
    box_id: int
    box_code: str
    fonds_code: str
    number: int
    title: str
    year_ended: int | None
    due_year: int | None
    stage: str
    overdue: bool
    in_batch: str  # code of an open batch it is already in, or ""


def due_files(
    session: Session, org: Organisation, year: int, today: date, cfg: ArchivalSettings, *, limit: int = 20000
) -> list[DueFile]:
    """Files kept by ``org`` due for transfer by the end of ``year`` (overdue ones first).

    Historical: permanent files, when ``org`` is a transfer source and not itself a historical archive. Current:
    files of boxes not yet shelved (still with the unit that made them). Files with no end date are listed with
    no due year, so that someone fills it in."""
    kept_by = func.coalesce(BoxArchival.organisation_id, FondsArchival.organisation_id)
    open_batch = (
        select(TransferBatch.code)
        .join(TransferItem, TransferItem.batch_id == TransferBatch.id)
        .where(TransferItem.box_id == Box.id, TransferBatch.state == BatchState.OPEN.value)
        .limit(1)
        .scalar_subquery()
    )
    q = (
        select(
            File.id,
            Box.id,
            Box.code,
            Fonds.code,
            File.number,
            File.title,
            File.date_to,
            Box.date_to,
            File.retention_years,
            Box.status,
            FondsArchival.transfer_rule,
            BoxArchival.year_into_current,
            open_batch,
        )
        .join(Box, Box.id == File.box_id)
        .join(Fonds, Fonds.id == Box.fonds_id)
        .outerjoin(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
        .outerjoin(BoxArchival, BoxArchival.box_id == Box.id)
        .where(kept_by == org.id, Box.status != BoxStatus.HANDOVER.value)
        .order_by(Box.code, File.number)
        .limit(limit)
    )
    historical_duty = org.transfer_source and org.kind != OrgKind.HISTORICAL_ARCHIVE
    out: list[DueFile] = []
    for fid, bid, bcode, fcode, num, title, fdt, bdt, retention, status, rule, into, batch in session.execute(q):
        ended = year_ended(fdt, bdt)
        if status == BoxStatus.UNPLACED and into is None:
            stage, due = CURRENT, (due_in_current(ended, cfg) if ended is not None else None)
        elif retention is None and historical_duty:
            stage = HISTORICAL
            due = due_in_historical(rule or TransferRule.FIVE_YEARS, ended, into, cfg) if ended is not None else None
        else:
            continue
        if due is not None and due > year:
            continue
        overdue = due is not None and is_overdue(due, today)
        out.append(DueFile(fid, bid, bcode, fcode, num, title, ended, due, stage, overdue, batch or ""))
    out.sort(key=lambda d: (not d.overdue, d.due_year is not None, d.due_year or 0, d.box_code, d.number))
    return out


def due_summary(files: list[DueFile]) -> dict[str, int]:
    """Counts for a due list: files, boxes, overdue files, files already in an open batch, files with no year."""
    return {
        "files": len(files),
        "boxes": len({d.box_id for d in files}),
        "overdue": sum(d.overdue for d in files),
        "in_batch": sum(bool(d.in_batch) for d in files),
        "no_year": sum(d.due_year is None for d in files),
    }
