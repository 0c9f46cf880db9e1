"""The unarranged backlog (tài liệu tồn đọng chưa chỉnh lý): metres registered per fonds (bundles measured by
their stack height), metres arranged (chỉnh lý) into catalogued boxes, and the burn-down per organisation and for
the province against the legal deadline (settings: 2030-07-01 for source bodies, 2035-07-01 for communes and the
historical archive's own backlog) with the rate needed to meet it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.archival.models import BacklogEntry, BacklogKind, FondsArchival, Organisation, OrgKind
from inventory.archival.orgs import organisation_of_actor
from inventory.archival.settings import ArchivalSettings
from inventory.errors import Conflict, RegistryError
from inventory.models import Box, Catalogue, Fonds
from inventory.services.boxes import get_fonds

CM_PER_METRE = 100.0


def _fonds_org(session: Session, fonds: Fonds, actor: str) -> int | None:
    org = session.scalar(select(FondsArchival.organisation_id).where(FondsArchival.fonds_id == fonds.id))
    mine = organisation_of_actor(session, actor)
    if mine is not None and org is not None and mine != org:
        raise RegistryError(f"fonds {fonds.code} belongs to another organisation")
    return org


def register_backlog(
    session: Session,
    fonds_code: str,
    on: date,
    actor: str,
    *,
    metres: float | None = None,
    stack_heights_cm: list[float] | None = None,
    note: str = "",
) -> BacklogEntry:
    """Register unarranged holdings of a fonds: ``metres`` estimated, or the stack heights (cm) of its bundles."""
    fonds = get_fonds(session, fonds_code)
    _fonds_org(session, fonds, actor)
    heights = stack_heights_cm or []
    if any(h <= 0 or h > 500 for h in heights):
        raise RegistryError("a bundle's stack height must be between 0 and 500 cm")
    total = metres if metres is not None else sum(heights) / CM_PER_METRE
    if total <= 0:
        raise RegistryError("give the estimated metres or the bundles' stack heights")
    e = BacklogEntry(
        fonds_id=fonds.id,
        kind=BacklogKind.REGISTERED.value,
        metres=round(total, 3),
        bundles=len(heights),
        measured_on=on,
        note=note,
        actor=actor,
    )
    session.add(e)
    session.flush()
    return e


def record_arranged(
    session: Session,
    fonds_code: str,
    on: date,
    actor: str,
    *,
    metres: float | None = None,
    catalogue: int | None = None,
    note: str = "",
) -> BacklogEntry:
    """Record metres arranged: given, or measured from the boxes of the catalogue the arrangement produced (their
    thickness, not their count)."""
    fonds = get_fonds(session, fonds_code)
    _fonds_org(session, fonds, actor)
    cat_id = None
    if catalogue is not None:
        cat_id = session.scalar(
            select(Catalogue.id).where(Catalogue.fonds_id == fonds.id, Catalogue.number == catalogue)
        )
        if cat_id is None:
            raise RegistryError(f"fonds {fonds.code} has no catalogue {catalogue}")
        if metres is None:
            total = session.scalar(select(func.sum(Box.width_m)).where(Box.catalogue_id == cat_id))
            metres = float(total or 0)
    if metres is None or metres <= 0:
        raise RegistryError("give the metres arranged or the catalogue produced")
    left = backlog_of_fonds(session, fonds.id, on)
    if metres > left + 1e-6:
        raise Conflict(f"fonds {fonds.code} has {left:.2f} m unarranged registered: cannot arrange {metres:.2f} m")
    e = BacklogEntry(
        fonds_id=fonds.id,
        kind=BacklogKind.ARRANGED.value,
        metres=round(metres, 3),
        bundles=0,
        measured_on=on,
        catalogue_id=cat_id,
        note=note,
        actor=actor,
    )
    session.add(e)
    session.flush()
    return e


def backlog_of_fonds(session: Session, fonds_id: int, on: date) -> float:
    rows = session.execute(
        select(BacklogEntry.kind, func.sum(BacklogEntry.metres))
        .where(BacklogEntry.fonds_id == fonds_id, BacklogEntry.measured_on <= on)
        .group_by(BacklogEntry.kind)
    )
    sums = {k: float(v or 0) for k, v in rows}
    return sums.get(BacklogKind.REGISTERED, 0.0) - sums.get(BacklogKind.ARRANGED, 0.0)


@dataclass
class BurnDown:
    """One organisation's (or the province's) backlog: per year the metres unarranged at the year's end and
    arranged during it, what is left now, the deadline and the rate needed."""

    name: str
    deadline: date
    unarranged: float = 0.0
    arranged: float = 0.0
    by_year: dict[int, tuple[float, float]] = field(default_factory=dict)  # year → (unarranged at end, arranged in)
    needed_per_year: float = 0.0
    recent_per_year: float = 0.0  # arranged in the last 12 months
    on_track: bool = True


def _deadline(kind: str, cfg: ArchivalSettings) -> date:
    if kind in (OrgKind.COMMUNE, OrgKind.HISTORICAL_ARCHIVE):
        return cfg.backlog_deadline_communes
    return cfg.backlog_deadline_sources


def burn_down(session: Session, today: date, cfg: ArchivalSettings) -> tuple[list[BurnDown], BurnDown]:
    """The burn-down of every organisation with a backlog, and of the province (all of them)."""
    rows = session.execute(
        select(
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            BacklogEntry.kind,
            BacklogEntry.metres,
            BacklogEntry.measured_on,
        )
        .join(FondsArchival, FondsArchival.fonds_id == BacklogEntry.fonds_id)
        .join(Organisation, Organisation.id == FondsArchival.organisation_id)
        .where(BacklogEntry.measured_on <= today)
        .order_by(BacklogEntry.measured_on)
    )
    per: dict[int, BurnDown] = {}
    events: dict[int, list[tuple[date, str, float]]] = defaultdict(list)
    for oid, name, okind, kind, metres, on in rows:
        if oid not in per:
            per[oid] = BurnDown(name, _deadline(okind, cfg))
        events[oid].append((on, kind, float(metres)))
    province = BurnDown("Toàn tỉnh", cfg.backlog_deadline_sources)
    for oid, bd in per.items():
        _fill(bd, events[oid], today)
    _fill(province, [e for ev in events.values() for e in ev], today, per=list(per.values()))
    return sorted(per.values(), key=lambda b: -b.unarranged), province


def _fill(bd: BurnDown, events: list[tuple[date, str, float]], today: date, per: list[BurnDown] | None = None) -> None:
    events = sorted(events)
    years = range(events[0][0].year, today.year + 1) if events else range(0)
    left = 0.0
    arranged_total = 0.0
    recent = 0.0
    for y in years:
        arranged_y = 0.0
        for on, kind, m in events:
            if on.year != y:
                continue
            if kind == BacklogKind.REGISTERED:
                left += m
            else:
                left -= m
                arranged_y += m
                arranged_total += m
            if kind == BacklogKind.ARRANGED and (today - on).days < 365:
                recent += m
        bd.by_year[y] = (round(left, 3), round(arranged_y, 3))
    bd.unarranged, bd.arranged, bd.recent_per_year = round(left, 3), round(arranged_total, 3), round(recent, 3)
    if per is not None:
        # the province meets its deadline only if every organisation meets its own
        bd.needed_per_year = round(sum(p.needed_per_year for p in per), 3)
        bd.on_track = all(p.on_track for p in per)
        return
    years_left = max((bd.deadline - today).days / 365.25, 0.0)
    if bd.unarranged <= 0:
        bd.needed_per_year, bd.on_track = 0.0, True
    elif years_left == 0:
        bd.needed_per_year, bd.on_track = bd.unarranged, False
    else:
        bd.needed_per_year = round(bd.unarranged / years_left, 3)
        bd.on_track = bd.recent_per_year >= bd.needed_per_year
