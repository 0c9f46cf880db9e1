"""Fonds, catalogues, boxes and files: creation and lookup (what import and the CLI call)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.archival.orgs import ensure_fonds_open
from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import (
    Access,
    Box,
    BoxEvent,
    Catalogue,
    EventKind,
    File,
    Fonds,
    LabelKind,
    Media,
    ProcessingState,
)
from inventory.services.labels import ensure_label, resolve_label


@dataclass
class FileIn:
    """One file (hồ sơ) to put in a box; ``retention_years`` None = vĩnh viễn (permanent)."""

    number: int
    title: str
    date_from: date | None = None
    date_to: date | None = None
    retention_years: int | None = None
    pages: int = 0
    access: str = Access.OPEN.value
    condition: str = "good"
    notes: str = ""


@dataclass
class BoxIn:
    """A box to create: fonds code + catalogue number + box number, descriptive fields and files."""

    fonds: str
    catalogue: int
    number: int
    title: str = ""
    date_from: date | None = None
    date_to: date | None = None
    media: str = Media.PAPER.value
    processing_state: str = ProcessingState.PROCESSED.value
    condition: str = "good"
    width_m: float = 0.1
    notes: str = ""
    files: list[FileIn] = field(default_factory=list)


def box_code(fonds_code: str, catalogue: int, number: int) -> str:
    """Human code of a box, e.g. ``P12-ML3-H045`` (phông P12, mục lục 3, hộp 45)."""
    return f"{fonds_code}-ML{catalogue}-H{number:03d}".upper()


def create_fonds(
    session: Session,
    code: str,
    name: str,
    organisation: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> Fonds:
    """Register a fonds (phông); ``code`` like ``P12`` starts every box code."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise RegistryError(f"fonds code {code!r} is invalid: 1–32 letters, digits, '-' or '_'")
    if session.scalar(select(Fonds.id).where(Fonds.code == code)):
        raise Conflict(f"fonds {code} already exists")
    fonds = Fonds(code=code, name=name, organisation=organisation, date_from=date_from, date_to=date_to)
    session.add(fonds)
    session.flush()
    return fonds


def get_fonds(session: Session, code: str) -> Fonds:
    fonds = session.scalar(select(Fonds).where(Fonds.code == code.strip().upper()))
    if fonds is None:
        raise NotFound(f"no fonds {code}")
    return fonds


def ensure_catalogue(session: Session, fonds: Fonds, number: int, title: str = "") -> Catalogue:
    """Catalogue (mục lục) ``number`` of a fonds, created if missing."""
    if number < 1:
        raise RegistryError("catalogue number must be positive")
    cat = session.scalar(select(Catalogue).where(Catalogue.fonds_id == fonds.id, Catalogue.number == number))
    if cat is None:
        cat = Catalogue(fonds_id=fonds.id, number=number, title=title)
        session.add(cat)
        session.flush()
    return cat


def _check_choice(name: str, value: str, choices: type[Media] | type[ProcessingState] | type[Access]) -> str:
    try:
        return choices(value).value
    except ValueError:
        raise RegistryError(f"unknown {name} {value!r}: use {', '.join(c.value for c in choices)}") from None


def _check_dates(what: str, start: date | None, end: date | None) -> None:
    if start and end and start > end:
        raise RegistryError(f"{what}: start date {start} is after end date {end}")


def create_box(session: Session, spec: BoxIn, actor: str) -> Box:
    """Create a box with its files, its label token and a ``created`` event (fonds must exist)."""
    if spec.number < 1:
        raise RegistryError("box number must be positive")
    if spec.width_m <= 0 or spec.width_m > 5:
        raise RegistryError("box width must be between 0 and 5 m")
    _check_dates(f"box {spec.number}", spec.date_from, spec.date_to)
    fonds = get_fonds(session, spec.fonds)
    ensure_fonds_open(session, fonds.id)
    cat = ensure_catalogue(session, fonds, spec.catalogue)
    code = box_code(fonds.code, cat.number, spec.number)
    if session.scalar(select(Box.id).where(Box.code == code)):
        raise Conflict(f"box {code} already exists")
    box = Box(
        catalogue_id=cat.id,
        fonds_id=fonds.id,
        number=spec.number,
        code=code,
        title=spec.title,
        date_from=spec.date_from,
        date_to=spec.date_to,
        media=_check_choice("media", spec.media, Media),
        processing_state=_check_choice("processing state", spec.processing_state, ProcessingState),
        condition=spec.condition or "good",
        width_m=spec.width_m,
        notes=spec.notes,
        status_since=utcnow(),
    )
    session.add(box)
    session.flush()
    add_files(session, box, spec.files)
    ensure_label(session, LabelKind.BOX, box.id, code)
    session.add(BoxEvent(box_id=box.id, kind=EventKind.CREATED.value, actor=actor))
    session.flush()
    return box


def add_files(session: Session, box: Box, files: list[FileIn]) -> list[File]:
    """Add files to a box (numbers unique within the box; not to a box of a closed fonds)."""
    if files:
        ensure_fonds_open(session, box.fonds_id)
    seen: set[int] = set(session.scalars(select(File.number).where(File.box_id == box.id)))
    rows = []
    for f in files:
        if f.number < 1:
            raise RegistryError(f"box {box.code}: file number must be positive")
        if f.number in seen:
            raise Conflict(f"box {box.code} already has file {f.number}")
        if not f.title.strip():
            raise RegistryError(f"box {box.code}, file {f.number}: title is empty")
        if f.retention_years is not None and f.retention_years < 1:
            raise RegistryError(f"box {box.code}, file {f.number}: retention must be ≥ 1 year or permanent")
        _check_dates(f"box {box.code}, file {f.number}", f.date_from, f.date_to)
        seen.add(f.number)
        rows.append(
            File(
                box_id=box.id,
                number=f.number,
                title=f.title.strip(),
                date_from=f.date_from,
                date_to=f.date_to,
                retention_years=f.retention_years,
                pages=max(0, f.pages),
                access=_check_choice("access", f.access, Access),
                condition=f.condition or "good",
                notes=f.notes,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def get_box(session: Session, ref: str | int, *, for_update: bool = False) -> Box:
    """A box by id, human code, label token or label URL (NotFound otherwise)."""
    box: Box | None
    if isinstance(ref, int):
        box = session.get(Box, ref, with_for_update=for_update)
    else:
        box = session.scalar(select(Box).where(Box.code == ref.strip().upper()))
        if box is None:
            try:
                target = resolve_label(session, ref)
            except NotFound:
                raise NotFound(f"no box {ref}") from None
            if target.kind != LabelKind.BOX:
                raise NotFound(f"{ref} is a {target.kind} label, not a box")
            box = session.get(Box, target.target_id)
        if box is not None and for_update:
            session.refresh(box, with_for_update=True)
    if box is None:
        raise NotFound(f"no box {ref}")
    return box
