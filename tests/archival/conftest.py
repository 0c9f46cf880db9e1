"""Archival fixtures: organisations with fonds, many boxes written in bulk, users tied to organisations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inventory import auth
from inventory import services as sv
from inventory.archival import orgs
from inventory.archival.models import Organisation
from inventory.db import utcnow
from inventory.models import Box, BoxEvent, Catalogue, EventKind, File, Fonds
from tests.inventory.conftest import PASSWORD, fast_password_hashing  # noqa: F401  (autouse fixture)


def make_org(s: Session, code: str, name: str, kind: str = "agency", **kw: object) -> Organisation:
    return orgs.create_organisation(s, code, name, kind, **kw)  # type: ignore[arg-type]


def make_fonds(s: Session, code: str, name: str, org: Organisation, rule: str = "5y") -> Fonds:
    fonds = sv.create_fonds(s, code, name)
    orgs.assign_fonds(s, fonds, org, transfer_rule=rule)
    return fonds


def bulk_boxes(
    s: Session,
    fonds: Fonds,
    n: int,
    *,
    catalogue: int = 1,
    year: int = 2015,
    permanent_every: int = 2,
    width_m: float = 0.125,
) -> list[int]:
    """``n`` boxes (2 files each) in ``fonds`` written with bulk inserts; every ``permanent_every``-th box holds
    permanent files, the others 10-year ones. Returns the box ids in number order."""
    cat = sv.ensure_catalogue(s, fonds, catalogue)
    now = utcnow()
    rows = [
        dict(
            catalogue_id=cat.id,
            fonds_id=fonds.id,
            number=i,
            code=sv.box_code(fonds.code, catalogue, i),
            title=f"Hộp {i}",
            date_from=date(year, 1, 1),
            date_to=date(year, 12, 31),
            width_m=width_m,
            status="in_place",
            status_since=now,
            created_at=now,
            version=1,
        )
        for i in range(1, n + 1)
    ]
    s.execute(insert(Box), rows)
    ids = list(s.scalars(select(Box.id).where(Box.catalogue_id == cat.id).order_by(Box.number)))
    files = []
    for k, bid in enumerate(ids, start=1):
        permanent = permanent_every > 0 and k % permanent_every == 0
        for f in (1, 2):
            files.append(
                dict(
                    box_id=bid,
                    number=f,
                    title=f"Hồ sơ {k}.{f} về quản lý đất đai",
                    date_from=date(year, 1, 1),
                    date_to=date(year, 12, 31),
                    retention_years=None if permanent else 10,
                    pages=20,
                )
            )
    s.execute(insert(File), files)
    s.execute(insert(BoxEvent), [dict(box_id=b, kind=EventKind.CREATED.value, actor="seed", at=now) for b in ids])
    s.flush()
    return ids


def make_user(s: Session, username: str, role: str, org: Organisation | None) -> None:
    auth.create_user(s, username, PASSWORD, role)
    if org is not None:
        orgs.set_user_organisation(s, username, org)


__all__ = ["Catalogue", "bulk_boxes", "make_fonds", "make_org", "make_user"]
