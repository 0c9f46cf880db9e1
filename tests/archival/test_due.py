"""Due dates on the boundaries of each rule, the due list per organisation and year, closed fonds, role checks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import orgs
from inventory.archival.due import due_files, due_in_current, due_in_historical, due_summary, is_overdue, year_ended
from inventory.archival.models import BoxArchival
from inventory.archival.settings import ArchivalSettings
from inventory.errors import Conflict, RegistryError
from inventory.models import Box
from inventory.registry import create_room, create_site
from tests.archival.conftest import bulk_boxes, make_fonds, make_org, make_user

CFG = ArchivalSettings()


def test_current_archive_due_the_year_after_the_work_ended() -> None:
    assert due_in_current(2020, CFG) == 2021
    assert not is_overdue(2021, date(2021, 12, 31))  # by 31/12 of the due year: still on time
    assert is_overdue(2021, date(2022, 1, 1))


def test_historical_five_years_after_entering_the_current_archive() -> None:
    assert due_in_historical("5y", 2015, 2017, CFG) == 2022
    # entry year unknown: taken as the year it was due in the current archive (2016)
    assert due_in_historical("5y", 2015, None, CFG) == 2021
    assert not is_overdue(2022, date(2022, 12, 31)) and is_overdue(2022, date(2023, 1, 1))


def test_historical_thirty_year_rule_and_2011_rule() -> None:
    assert due_in_historical("30y", 2000, 2001, CFG) == 2031
    assert due_in_historical("30y", 2000, None, CFG) == 2031
    # 2011 law: year ended + 10, whatever the entry year
    assert due_in_historical("2011", 2005, 2009, CFG) == 2015
    assert not is_overdue(2015, date(2015, 12, 31)) and is_overdue(2015, date(2016, 1, 1))


def test_rules_follow_the_settings() -> None:
    cfg = ArchivalSettings(historical_years=6, historical_years_2011=12, current_archive_years=2)
    assert due_in_current(2020, cfg) == 2022
    assert due_in_historical("5y", 2020, 2021, cfg) == 2027
    assert due_in_historical("2011", 2020, None, cfg) == 2032


def test_year_ended_from_file_else_box() -> None:
    assert year_ended(date(2019, 3, 1), date(2020, 1, 1)) == 2019
    assert year_ended(None, date(2020, 1, 1)) == 2020
    assert year_ended(None, None) is None


def test_due_list_per_organisation_and_year(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        hist = make_org(s, "LTLS", "Lưu trữ lịch sử tỉnh Quảng Trị", "historical_archive")
        a = make_org(s, "SNV", "Sở Nội vụ", historical_archive="LTLS")
        b = make_org(s, "STC", "Sở Tài chính")
        fa = make_fonds(s, "P01", "Phông Sở Nội vụ", a)
        fb = make_fonds(s, "P02", "Phông Sở Tài chính", b, rule="2011")
        ids_a = bulk_boxes(s, fa, 4, year=2016)  # boxes 2, 4 permanent → due 2016 + 1 + 5 = 2022
        bulk_boxes(s, fb, 2, year=2012)  # box 2 permanent, 2011 rule → 2022
        # box 4 of P01 entered the current archive late (2019): due 2024
        s.add(BoxArchival(box_id=ids_a[3], year_into_current=2019))
        s.commit()
        got = due_files(s, a, 2022, date(2023, 2, 1), CFG)
        assert {(d.box_code, d.due_year, d.stage, d.overdue) for d in got} == {
            ("P01-ML1-H002", 2022, "historical", True),
        }
        assert len(got) == 2  # both files of box 2
        assert due_summary(got) == {"files": 2, "boxes": 1, "overdue": 2, "in_batch": 0, "no_year": 0}
        later = due_files(s, a, 2024, date(2023, 2, 1), CFG)
        assert {d.box_code for d in later} == {"P01-ML1-H002", "P01-ML1-H004"}
        assert [d.overdue for d in later if d.box_code == "P01-ML1-H004"] == [False, False]
        assert {d.box_code for d in due_files(s, b, 2022, date(2022, 6, 1), CFG)} == {"P02-ML1-H002"}
        assert not any(d.overdue for d in due_files(s, b, 2022, date(2022, 12, 31), CFG))
        # the historical archive itself has no transfer duty
        assert due_files(s, hist, 2030, date(2030, 1, 1), CFG) == []
        # boxes not yet shelved are due in the current archive the year after the work ended
        s.execute(update(Box).where(Box.id == ids_a[0]).values(status="unplaced"))
        cur = [d for d in due_files(s, a, 2017, date(2018, 1, 1), CFG) if d.stage == "current"]
        assert {(d.box_code, d.due_year, d.overdue) for d in cur} == {("P01-ML1-H001", 2017, True)}


def test_closed_fonds_refuses_boxes_and_files(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        a = make_org(s, "UBX", "UBND xã An Bình", "commune")
        f = make_fonds(s, "P07", "Phông UBND xã An Bình", a)
        box = sv.create_box(s, sv.BoxIn("P07", 1, 1, files=[sv.FileIn(1, "Sổ hộ tịch")]), "t")
        orgs.close_fonds(s, f, date(2025, 7, 1), "sap_nhap")
        with pytest.raises(Conflict, match="closed since 01/07/2025"):
            sv.create_box(s, sv.BoxIn("P07", 1, 2), "t")
        with pytest.raises(Conflict, match="closed"):
            sv.add_files(s, box, [sv.FileIn(2, "Sổ mới")])
        with pytest.raises(RegistryError, match="unknown closing reason"):
            orgs.close_fonds(s, make_fonds(s, "P08", "x", a), date(2025, 7, 1), "vanished")


def test_keeper_of_one_agency_cannot_move_another_agencys_box(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        create_site(s, "QT", "Kho Quảng Trị")
        create_room(s, "QT", "K1", "Phòng 1")
        sv.create_shelving(s, "QT", "K1", 1, shelves=1, slots_per_shelf=2, capacity_boxes=5)
        a = make_org(s, "SNV", "Sở Nội vụ")
        b = make_org(s, "STC", "Sở Tài chính")
        bulk_boxes(s, make_fonds(s, "P01", "Phông Sở Nội vụ", a), 1)
        bulk_boxes(s, make_fonds(s, "P02", "Phông Sở Tài chính", b), 1)
        make_user(s, "keeper.a", "keeper", a)
        make_user(s, "keeper.all", "keeper", None)
        slot = "K1-G01-T1-V01"
        sv.place_box(s, sv.get_box(s, "P01-ML1-H001"), slot, "keeper.a")
        with pytest.raises(RegistryError, match="kept by Sở Tài chính") as e:
            sv.place_box(s, sv.get_box(s, "P02-ML1-H001"), slot, "keeper.a")
        assert getattr(e.value, "http_status", None) == 403
        with pytest.raises(RegistryError, match="kept by"):
            sv.check_out(s, sv.get_box(s, "P02-ML1-H001"), "Nguyễn Văn A", "reading_room", "keeper.a")
        sv.place_box(s, sv.get_box(s, "P02-ML1-H001"), slot, "keeper.all")  # a user of every organisation
