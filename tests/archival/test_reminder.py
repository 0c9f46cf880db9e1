"""The yearly due-transfer reminder: queued in the delivery outbox for each organisation's heads of archive, in
the reminder month, once per year and contact, in the contact's language."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.models import Delivery
from alerts.transfer_reminder import DueTransferReminder
from inventory.archival.settings import ArchivalSettings
from tests.archival.conftest import bulk_boxes, make_fonds, make_org


def test_yearly_reminder_to_heads_of_archive(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        make_org(s, "LTLS", "Trung tâm Lưu trữ lịch sử tỉnh", "historical_archive")
        snv = make_org(s, "SNV", "Sở Nội vụ", historical_archive="LTLS")
        stc = make_org(s, "STC", "Sở Tài chính")
        bulk_boxes(s, make_fonds(s, "P01", "Phông Sở Nội vụ", snv), 6, year=2018)  # 3 permanent boxes, due 2024
        bulk_boxes(s, make_fonds(s, "P02", "Phông Sở Tài chính", stc), 2, year=2024)  # due 2030: not yet
        store.add_contact(s, "Trưởng phòng lưu trữ", "SNV", "email", "truongphong@snv.example", tier=2)
        store.add_contact(s, "Thủ kho", "SNV", "email", "thukho@snv.example", tier=1)  # not a head: not told
        store.add_contact(s, "Director", "*", "email", "director@example.org", tier=3, language="en")
        store.add_contact(s, "Giám đốc STC", "STC", "email", "gd@stc.example", tier=3)
        s.commit()
    reminder = DueTransferReminder(sessions, ArchivalSettings(reminder_month=1))
    assert reminder.run(date(2025, 3, 2)) == 0  # not the reminder month
    assert reminder.run(date(2025, 1, 5)) == 2  # SNV's two heads; STC has nothing due
    assert reminder.run(date(2025, 1, 6)) == 0  # once a year
    with sessions() as s:
        rows = {d.address: d for d in s.scalars(select(Delivery).where(Delivery.kind == "transfer_due"))}
    assert set(rows) == {"truongphong@snv.example", "director@example.org"}
    vi, en = rows["truongphong@snv.example"], rows["director@example.org"]
    assert vi.subject == "Sở Nội vụ: 6 hồ sơ đến hạn giao nộp năm 2025"
    assert "6 hồ sơ (3 hộp) trước 31/12/2025; trong đó 6 hồ sơ đã quá hạn" in vi.body
    assert en.subject.startswith("Sở Nội vụ: 6 files due") and en.payload["overdue"] == 6
    assert reminder.run(date(2026, 3, 1), force=True) == 2  # a new year, sent on demand


def test_destruction_deadline_warned_then_late(sessions: sessionmaker[Session]) -> None:
    from inventory import services as sv
    from inventory.archival import destruction as de

    cfg = ArchivalSettings()
    with sessions() as s:
        org = make_org(s, "STC", "Sở Tài chính")
        make_fonds(s, "P02", "Phông Sở Tài chính", org)
        files = [sv.FileIn(1, "Chứng từ", date(2014, 1, 1), date(2014, 12, 31), 10, 10)]
        sv.create_box(s, sv.BoxIn("P02", 1, 1, files=files), "seed")
        store.add_contact(s, "Giám đốc", "STC", "email", "gd@stc.example", tier=3)
        r = de.open_review(s, "STC", 2025, "t")
        m = de.add_member(s, r, "Chủ tịch", "chair", "t")
        de.vote(s, r, m.id, True, "t")
        de.record_appraisal(s, r, "Sở Nội vụ", "Đồng ý", date(2026, 1, 2), "t")
        de.decide(s, r, "QĐ 1", date(2026, 1, 5), "GĐ", "t", cfg)  # record due 20/01/2026
        s.commit()
    reminder = DueTransferReminder(sessions, cfg)
    assert reminder.warn_destruction_deadlines(date(2026, 1, 14)) == 0
    assert reminder.warn_destruction_deadlines(date(2026, 1, 15)) == 1
    assert reminder.warn_destruction_deadlines(date(2026, 1, 16)) == 0  # told once
    assert reminder.warn_destruction_deadlines(date(2026, 1, 21)) == 1  # late: told again
    with sessions() as s:
        subjects = sorted(d.subject for d in s.scalars(select(Delivery).where(Delivery.kind == "destruction")))
    assert subjects == [f"Biên bản hủy {r.code}: quá hạn", f"Biên bản hủy {r.code}: sắp hết hạn"]
