"""Destruction of expired files: the candidate list on its boundary, the council's majority and dissent, the
head's decision, the 15-day deadline warned before it runs out, a late record, destroyed boxes freeing slots."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import destruction as de
from inventory.archival import orgs
from inventory.archival.settings import ArchivalSettings
from inventory.errors import Conflict, RegistryError
from inventory.models import BoxEvent
from inventory.registry import create_room, create_site
from tests.archival.conftest import make_fonds, make_org, make_user

CFG = ArchivalSettings()


def _world(s: Session) -> None:
    create_site(s, "QT", "Kho Quảng Trị")
    create_room(s, "QT", "K1", "Phòng 1")
    sv.create_shelving(s, "QT", "K1", 1, shelves=1, slots_per_shelf=2, capacity_boxes=5)
    org = make_org(s, "STC", "Sở Tài chính")
    make_org(s, "SNV", "Sở Nội vụ")
    make_fonds(s, "P02", "Phông Sở Tài chính", org)
    # box 1: two 10-year files of 2015 → expire in 2025; box 2: one expiring in 2025, one permanent;
    # box 3: a 10-year file of 2016 → expires in 2026 (not yet in 2025)
    specs = {
        1: [
            sv.FileIn(1, "Chứng từ kế toán quý I", date(2015, 1, 1), date(2015, 3, 31), 10, 50),
            sv.FileIn(2, "Chứng từ kế toán quý II", date(2015, 4, 1), date(2015, 6, 30), 10, 50),
        ],
        2: [
            sv.FileIn(1, "Sổ theo dõi công văn", date(2015, 1, 1), date(2015, 12, 31), 10, 80),
            sv.FileIn(2, "Quyết định thành lập", date(2015, 1, 1), date(2015, 12, 31), None, 5),
        ],
        3: [sv.FileIn(1, "Chứng từ năm 2016", date(2016, 1, 1), date(2016, 12, 31), 10, 40)],
    }
    for n, files in specs.items():
        box = sv.create_box(s, sv.BoxIn("P02", 1, n, files=files), "seed")
        sv.place_box(s, box, "K1-G01-T1-V01", "seed")
    make_user(s, "ketoan", "manager", org)
    make_user(s, "noivu", "manager", orgs.get_organisation(s, "SNV"))


def test_destruction_with_council_and_a_late_record(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        _world(s)
        org = orgs.get_organisation(s, "STC")
        cands = de.expired_files(s, org, 2025)
        assert {(f.box_code, f.number, f.expired_in) for f in cands} == {
            ("P02-ML1-H001", 1, 2025),
            ("P02-ML1-H001", 2, 2025),
            ("P02-ML1-H002", 1, 2025),
        }  # the permanent file and the 2026 one are not there
        assert {f.box_code for f in de.expired_files(s, org, 2024)} == set()
        assert len(de.expired_files(s, org, 2026)) == 4
        with pytest.raises(RegistryError, match="only staff of"):
            de.open_review(s, "STC", 2025, "noivu")
        r = de.open_review(s, "STC", 2025, "ketoan", explanation="Tài liệu kế toán hết thời hạn lưu trữ")
        assert de.expired_files(s, org, 2025) == []  # on an open list already
        members = [
            de.add_member(s, r, name, role, "ketoan")
            for name, role in (
                ("Trần Văn Chủ", "chair"),
                ("Lê Thị Thư", "secretary"),
                ("Phạm Văn Lãnh", "unit_leader"),
                ("Hoàng Chuyên", "expert"),
            )
        ]
        with pytest.raises(Conflict, match="have not voted"):
            de.decide(s, r, "QĐ 9/QĐ-STC", date(2026, 1, 5), "Giám đốc", "ketoan", CFG)
        for m in members[:3]:
            de.vote(s, r, m.id, True, "ketoan")
        de.vote(s, r, members[3].id, False, "ketoan", dissent="Sổ công văn còn giá trị tra cứu")
        res = de.council_result(s, r)
        assert res.majority and (res.approve, res.reject) == (3, 1)
        assert res.dissent == [("Hoàng Chuyên", "Sổ công văn còn giá trị tra cứu")]
        with pytest.raises(Conflict, match="appraisal"):
            de.decide(s, r, "QĐ 9/QĐ-STC", date(2026, 1, 5), "Giám đốc", "ketoan", CFG)
        de.record_appraisal(s, r, "Sở Nội vụ", "Đồng ý hủy", date(2026, 1, 2), "ketoan")
        due = de.decide(s, r, "QĐ 9/QĐ-STC", date(2026, 1, 5), "Giám đốc Nguyễn Văn A", "ketoan", CFG)
        assert due == date(2026, 1, 20)
        # warned from 5 days before the deadline, and after it
        assert de.record_deadlines(s, date(2026, 1, 14), CFG) == []
        warn = de.record_deadlines(s, date(2026, 1, 15), CFG)
        assert [(w.code, w.days_left) for w in warn] == [(r.code, 5)]
        assert de.record_deadlines(s, date(2026, 1, 22), CFG)[0].days_left == -2
        with pytest.raises(Conflict, match="not possible now"):
            de.sign_record(s, r, "BB 1", date(2026, 1, 22), "ketoan")  # not handed over yet
        de.hand_to_destroyer(s, r, "Công ty TNHH Môi trường Xanh", date(2026, 1, 19), "ketoan")
        boxes = de.sign_record(s, r, "BB 01/BB-HTL", date(2026, 1, 23), "ketoan")
        assert boxes == 1 and r.late is True and r.state == "destroyed"
        s.commit()

    with sessions() as s:
        gone = sv.get_box(s, "P02-ML1-H001")
        assert gone.status == "destroyed" and gone.current_slot_id is None and len(gone.files) == 2  # still registered
        ev = s.scalar(select(BoxEvent).where(BoxEvent.box_id == gone.id, BoxEvent.kind == "destroyed"))
        assert ev is not None and ev.data["decision"] == "QĐ 9/QĐ-STC"
        kept = sv.get_box(s, "P02-ML1-H002")  # its permanent file stays: the box stays on the shelf
        assert kept.status == "in_place" and kept.current_slot is not None
        assert [row[:2] for row in de.destroyed_files_of(s, de.get_review(s, r.id))] == [
            ("P02-ML1-H001", 1),
            ("P02-ML1-H001", 2),
            ("P02-ML1-H002", 1),
        ]
        with pytest.raises(Conflict, match="destroyed"):
            sv.place_box(s, gone, "K1-G01-T1-V02", "ketoan")
        assert de.expired_files(s, orgs.get_organisation(s, "STC"), 2030)[0].box_code == "P02-ML1-H003"


def test_no_majority_rejects(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        _world(s)
        r = de.open_review(s, "STC", 2025, "ketoan")
        a = de.add_member(s, r, "A", "chair", "ketoan")
        b = de.add_member(s, r, "B", "secretary", "ketoan")
        de.vote(s, r, a.id, True, "ketoan")
        de.vote(s, r, b.id, False, "ketoan", dissent="Chưa đủ căn cứ")
        assert de.decide(s, r, "QĐ 1", date(2026, 1, 5), "GĐ", "ketoan", CFG) is None  # 1 of 2 is no majority
        assert r.state == "rejected"
        # rejected lists free their files for a later review
        assert len(de.expired_files(s, orgs.get_organisation(s, "STC"), 2025)) == 3


def test_destruction_record_pdf(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    import subprocess

    from inventory.archival.documents import destruction_record_pdf

    with sessions() as s:
        _world(s)
        r = de.open_review(s, "STC", 2025, "ketoan")
        for name, ok in (("Trần Văn Chủ", True), ("Lê Thị Thư", True), ("Hoàng Chuyên", False)):
            m = de.add_member(s, r, name, "member", "ketoan")
            de.vote(s, r, m.id, ok, "ketoan", dissent="" if ok else "Còn giá trị tra cứu")
        de.record_appraisal(s, r, "Sở Nội vụ", "Đồng ý hủy", date(2026, 1, 2), "ketoan")
        de.decide(s, r, "QĐ 9/QĐ-STC", date(2026, 1, 5), "Giám đốc Sở Tài chính", "ketoan", CFG)
        de.hand_to_destroyer(s, r, "Công ty Môi trường Xanh", date(2026, 1, 6), "ketoan")
        de.sign_record(s, r, "01/BB-HTL", date(2026, 1, 25), "ketoan")
        pdf = tmp_path / "huy.pdf"
        pdf.write_bytes(destruction_record_pdf(s, r))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "huy")], check=True)
    assert (tmp_path / "huy-1.png").stat().st_size > 2000
    for words in (
        "BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ",
        "Quyết định số QĐ 9/QĐ-STC ngày 05/01/2026",
        "2/3 thành viên đồng ý, 1 không đồng ý",
        "Ý kiến khác của Hoàng Chuyên: Còn giá trị tra cứu",
        "Chứng từ kế toán quý II",
        "biên bản ký sau thời hạn (20/01/2026)",
        "ngày 25 tháng 01 năm 2026",
    ):
        assert words in text, words
