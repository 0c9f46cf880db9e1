"""Shared helpers for the tools tests (kept out of conftest so tests can import them explicitly)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy.orm import Session

from inventory.models import Room, Site
from inventory.services import create_fonds, create_shelving


def run(cmd: list[str]) -> str:
    """Run a Debian tool; fail with the install command when it is missing."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise AssertionError(f"{cmd[0]} missing: apt-get install -y poppler-utils zbar-tools") from None
    assert res.returncode in (0, 4) or cmd[0] == "zbarimg", res.stderr  # zbarimg exits 4 when nothing is found
    return res.stdout


def make_site(session: Session, site: str = "LD", room: str = "K1", units: int = 1) -> Room:
    """A site with one room and ``units`` shelving units of 2 shelves × 3 slots (2 boxes each)."""
    s = Site(code=site, name="Kho lưu trữ Lâm Đồng")
    session.add(s)
    session.flush()
    r = Room(site_id=s.id, code=room, name="Phòng kho số 1", climate_class="paper")
    session.add(r)
    session.flush()
    for n in range(1, units + 1):
        create_shelving(session, site, room, n, shelves=2, slots_per_shelf=3, capacity_boxes=2, capacity_m=0.5)
    return r


def make_fonds(session: Session, code: str = "P12", name: str = "UBND tỉnh Lâm Đồng") -> None:
    create_fonds(session, code, name)


def decode_qr_png(png: Path) -> list[str]:
    out = run(["zbarimg", "-q", "--raw", str(png)])
    return [line for line in out.splitlines() if line.strip()]
