"""The backlog: metres registered (from bundles' stack heights), arranged into boxes, the burn-down per
organisation and for the province against the deadlines, and the rate needed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from inventory.archival import backlog as bl
from inventory.archival.settings import ArchivalSettings
from inventory.errors import Conflict, RegistryError
from tests.archival.conftest import bulk_boxes, make_fonds, make_org, make_user

CFG = ArchivalSettings()


def test_backlog_burn_down(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        snv = make_org(s, "SNV", "Sở Nội vụ")
        xa = make_org(s, "UBX", "UBND xã An Bình", "commune")
        make_org(s, "STC", "Sở Tài chính")
        f1 = make_fonds(s, "P01", "Phông Sở Nội vụ", snv)
        make_fonds(s, "P09", "Phông UBND xã An Bình", xa)
        make_user(s, "ketoan", "keeper", make_org(s, "SYT", "Sở Y tế"))
        # 40 bundles of 25 cm = 10 m found in 2024; 2 m more found in 2025
        e = bl.register_backlog(s, "P01", date(2024, 3, 1), "t", stack_heights_cm=[25.0] * 40)
        assert (e.metres, e.bundles) == (10.0, 40)
        bl.register_backlog(s, "P01", date(2025, 2, 1), "t", metres=2.0)
        bl.register_backlog(s, "P09", date(2025, 5, 1), "t", metres=3.0)
        # arranging produced catalogue 2: 24 boxes of 125 mm = 3 m
        bulk_boxes(s, f1, 24, catalogue=2, width_m=0.125)
        assert bl.record_arranged(s, "P01", date(2025, 9, 1), "t", catalogue=2).metres == 3.0
        with pytest.raises(Conflict, match=r"9\.00 m unarranged"):
            bl.record_arranged(s, "P01", date(2025, 10, 1), "t", metres=50)
        with pytest.raises(RegistryError, match="stack height"):
            bl.register_backlog(s, "P01", date(2025, 10, 1), "t", stack_heights_cm=[-3])
        with pytest.raises(RegistryError, match="another organisation"):
            bl.register_backlog(s, "P01", date(2025, 10, 1), "ketoan", metres=1)

        orgs_bd, province = bl.burn_down(s, date(2026, 1, 1), CFG)
        by = {b.name: b for b in orgs_bd}
        snv_bd = by["Sở Nội vụ"]
        assert (snv_bd.unarranged, snv_bd.arranged) == (9.0, 3.0)
        assert snv_bd.by_year == {2024: (10.0, 0.0), 2025: (9.0, 3.0), 2026: (9.0, 0.0)}
        assert snv_bd.deadline == date(2030, 7, 1)
        # 9 m in 4.5 years: 2 m a year needed; 3 m arranged in the last 12 months: on track
        assert snv_bd.needed_per_year == pytest.approx(2.0, abs=0.01) and snv_bd.on_track
        xa_bd = by["UBND xã An Bình"]
        assert xa_bd.deadline == date(2035, 7, 1) and xa_bd.recent_per_year == 0 and not xa_bd.on_track
        assert xa_bd.needed_per_year == pytest.approx(3.0 / 9.5, abs=0.01)
        assert (province.unarranged, province.arranged) == (12.0, 3.0)
        assert province.needed_per_year == pytest.approx(snv_bd.needed_per_year + xa_bd.needed_per_year)
        assert not province.on_track  # the commune is behind
        # past the deadline, everything left is needed at once
        late = {b.name: b for b in bl.burn_down(s, date(2031, 1, 1), CFG)[0]}["Sở Nội vụ"]
        assert late.needed_per_year == 9.0 and not late.on_track
