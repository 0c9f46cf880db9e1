"""Import a validated file list into fonds → catalogue → box → file, idempotently and all-or-nothing.

Boxes are keyed by (fonds, catalogue, box number) and files by (box, file number): importing the same
list twice changes nothing; a corrected list updates only what differs. Files missing from a re-import
are kept (nothing is ever deleted by an import).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from inventory.archival.orgs import ensure_fonds_open
from inventory.db import utcnow
from inventory.errors import RegistryError
from inventory.models import Box, BoxEvent, Catalogue, EventKind, File, Fonds, LabelKind, LabelToken
from inventory.services.boxes import box_code, create_fonds, ensure_catalogue
from inventory.services.labels import new_token
from inventory.spreadsheet.messages import t
from inventory.spreadsheet.reader import read_sheet
from inventory.spreadsheet.validate import FileRow, RowError, validate
from inventory.textnorm import normalize

FILE_FIELDS = ("title", "date_from", "date_to", "retention_years", "pages", "access", "notes")
CHUNK = 2000


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    boxes_created: int = 0
    boxes_updated: int = 0
    files_created: int = 0
    files_updated: int = 0
    files_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(self.boxes_created or self.boxes_updated or self.files_created or self.files_updated)


class ImportRejected(RegistryError):
    """The file has row errors; nothing was written. ``report.errors`` lists them by row."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.errors)} error(s) in the file; nothing imported")
        self.report = report


def _fonds(session: Session, code: str, name: str | None, lang: str) -> Fonds:
    fonds = session.scalar(select(Fonds).where(Fonds.code == code.strip().upper()))
    if fonds is not None:
        return fonds
    if not name:
        raise RegistryError(t("unknown_fonds", lang, code=code))
    return create_fonds(session, code, name)


def _span(rows: list[FileRow]) -> tuple[date | None, date | None]:
    starts = [r.date_from for r in rows if r.date_from]
    ends = [r.date_to or r.date_from for r in rows if r.date_to or r.date_from]
    return (min(starts) if starts else None, max(e for e in ends if e) if ends else None)


def import_rows(
    session: Session,
    rows: list[FileRow],
    *,
    actor: str,
    fonds_name: str | None = None,
    lang: str = "vi",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Write validated rows in the caller's transaction (the caller commits, or rolls back for a dry run)."""
    report = ImportReport(rows=len(rows))
    groups: dict[tuple[str, int], dict[int, list[FileRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if not r.fonds:
            raise RegistryError(t("no_fonds", lang))
        groups[(r.fonds.strip().upper(), r.catalogue or 1)][r.box_number].append(r)

    for (fonds_code, cat_no), boxes in groups.items():
        fonds = _fonds(session, fonds_code, fonds_name, lang)
        ensure_fonds_open(session, fonds.id)
        cat = ensure_catalogue(session, fonds, cat_no)
        _import_catalogue(session, fonds, cat, boxes, actor, report, progress)
    session.flush()
    return report


def _import_catalogue(
    session: Session,
    fonds: Fonds,
    cat: Catalogue,
    boxes: dict[int, list[FileRow]],
    actor: str,
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    existing: dict[int, tuple[int, date | None, date | None]] = {
        n: (bid, df, dt)
        for bid, n, df, dt in session.execute(
            select(Box.id, Box.number, Box.date_from, Box.date_to).where(Box.catalogue_id == cat.id)
        )
    }
    now = utcnow()
    # new boxes: one bulk insert, then their labels and "created" events
    new_numbers = sorted(n for n in boxes if n not in existing)
    for i in range(0, len(new_numbers), CHUNK):
        chunk = new_numbers[i : i + CHUNK]
        values = []
        for n in chunk:
            df, dt = _span(boxes[n])
            values.append(
                dict(
                    catalogue_id=cat.id,
                    fonds_id=fonds.id,
                    number=n,
                    title="",
                    date_from=df,
                    date_to=dt,
                    code=box_code(fonds.code, cat.number, n),
                    status_since=now,
                    created_at=now,
                    version=1,
                )
            )
        ids = session.execute(insert(Box).returning(Box.id, Box.number, Box.code), values).all()
        session.execute(
            insert(LabelToken),
            [
                dict(token=new_token(), kind=LabelKind.BOX.value, target_id=bid, code=code, created_at=now)
                for bid, _n, code in ids
            ],
        )
        session.execute(
            insert(BoxEvent),
            [
                dict(box_id=bid, kind=EventKind.CREATED.value, actor=actor, at=now, reason="import", data={})
                for bid, _n, _c in ids
            ],
        )
        for bid, n, _c in ids:
            existing[n] = (bid, None, None)
        report.boxes_created += len(ids)

    created = set(new_numbers)
    # existing boxes: widen/fix their date span to their files' span if it differs
    for n, files in boxes.items():
        if n in created:
            continue
        bid, df, dt = existing[n]
        span = _span(files)
        if span != (df, dt) and any(span):
            session.execute(
                update(Box).where(Box.id == bid).values(date_from=span[0], date_to=span[1], version=Box.version + 1)
            )
            report.boxes_updated += 1

    # files: compare with what is stored, insert new ones, update changed ones
    box_ids = {n: existing[n][0] for n in boxes}
    stored: dict[tuple[int, int], dict[str, Any]] = {}
    old_ids = [box_ids[n] for n in boxes if n not in created]
    for i in range(0, len(old_ids), CHUNK):
        for row in session.execute(
            select(File.id, File.box_id, File.number, *[getattr(File, f) for f in FILE_FIELDS]).where(
                File.box_id.in_(old_ids[i : i + CHUNK])
            )
        ).mappings():
            stored[(row["box_id"], row["number"])] = dict(row)
    inserts: list[dict[str, Any]] = []
    done = 0
    for n, files in boxes.items():
        bid = box_ids[n]
        for r in files:
            want = {f: getattr(r, f) for f in FILE_FIELDS}
            have = stored.get((bid, r.file_number))
            if have is None:
                inserts.append(
                    dict(box_id=bid, number=r.file_number, title_norm=normalize(r.title), condition="good", **want)
                )
            elif any(have[f] != want[f] for f in FILE_FIELDS):
                session.execute(update(File).where(File.id == have["id"]).values(title_norm=normalize(r.title), **want))
                report.files_updated += 1
            else:
                report.files_unchanged += 1
            done += 1
            if progress is not None and done % 500 == 0:
                progress(500)
        if len(inserts) >= CHUNK:
            session.execute(insert(File), inserts)
            report.files_created += len(inserts)
            inserts = []
    if inserts:
        session.execute(insert(File), inserts)
        report.files_created += len(inserts)
    if progress is not None and done % 500:
        progress(done % 500)


def import_file(
    session: Session,
    path: Path,
    *,
    actor: str,
    fonds: str | None = None,
    catalogue: int | None = None,
    fonds_name: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    lang: str = "vi",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read, validate and import ``path`` inside ``session``'s transaction.

    Raises ImportRejected (nothing written) if any row is invalid. With ``dry_run`` the work is done and then
    the session's transaction is rolled back, so the report shows exactly what a real import would change.
    """
    sheet = read_sheet(path, mapping, lang=lang)
    checked = validate(sheet, default_fonds=fonds, default_catalogue=catalogue, lang=lang)
    if checked.errors:
        report = ImportReport(rows=len(sheet.rows), errors=checked.errors, dry_run=dry_run)
        raise ImportRejected(report)
    try:
        report = import_rows(session, checked.rows, actor=actor, fonds_name=fonds_name, lang=lang, progress=progress)
    except BaseException:
        session.rollback()
        raise
    if dry_run:
        # the whole session transaction is undone: run dry runs in a session of their own
        session.rollback()
        report.dry_run = True
    return report
