"""A transfer of 300 boxes: checks, two-sided scanning, 2 boxes not scanned in, 1 unexpected box, close rules,
custody events, both sides' history, role checks across organisations."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import orgs
from inventory.archival import transfers as tr
from inventory.archival.models import BoxArchival, SearchTask
from inventory.errors import Conflict, RegistryError
from inventory.models import Box, BoxEvent, File
from inventory.registry import create_room, create_site
from tests.archival.conftest import bulk_boxes, make_fonds, make_org, make_user


def _world(s: Session) -> None:
    create_site(s, "QT", "Kho Quảng Trị")
    create_room(s, "QT", "K2", "Kho Lưu trữ lịch sử")
    sv.create_shelving(s, "QT", "K2", 1, shelves=5, slots_per_shelf=8, capacity_boxes=10, capacity_m=2.0)
    hist = make_org(s, "LTLS", "Trung tâm Lưu trữ lịch sử tỉnh", "historical_archive")
    snv = make_org(s, "SNV", "Sở Nội vụ tỉnh Quảng Trị", historical_archive="LTLS")
    stc = make_org(s, "STC", "Sở Tài chính")
    fonds = make_fonds(s, "P01", "Phông Sở Nội vụ", snv)
    bulk_boxes(s, fonds, 303, permanent_every=1)  # 300 on the list, 1 turns up unexpected, 2 stay
    bulk_boxes(s, make_fonds(s, "P02", "Phông Sở Tài chính", stc), 1)
    make_user(s, "giao", "keeper", snv)
    make_user(s, "nhan", "keeper", hist)
    make_user(s, "khac", "manager", stc)
    assert hist.id and snv.id


@pytest.mark.slow  # 300 boxes scanned both ways: the full suite runs it, `make check` does not
def test_transfer_of_300_boxes(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        _world(s)
        s.commit()
    with sessions() as s:
        with pytest.raises(RegistryError, match="only staff of"):
            tr.create_batch(s, "SNV", "LTLS", "khac")
        batch = tr.create_batch(s, "SNV", "LTLS", "giao", title="Tài liệu Sở Nội vụ 2010–2015")
        codes = [sv.box_code("P01", 1, i) for i in range(1, 301)]
        assert tr.select_boxes(s, batch, "giao", box_codes=codes) == 300
        assert tr.select_boxes(s, batch, "giao", box_codes=codes[:5]) == 0  # already on the list
        with pytest.raises(Conflict, match="not kept by the sender"):
            tr.select_boxes(s, batch, "giao", box_codes=["P02-ML1-H001"])
        assert tr.check_batch(s, batch) == []
        # a 10-year file slipped in: refused for the historical archive
        first = s.scalar(select(File).join(Box).where(Box.code == codes[0], File.number == 1))
        assert first is not None
        first.retention_years = 10
        first.pages = 0
        problems = {(p.box_code, p.file_number, p.what) for p in tr.check_batch(s, batch)}
        assert problems == {(codes[0], 1, "not_permanent"), (codes[0], 1, "no_pages")}
        first.retention_years, first.pages = None, 12
        s.commit()
        bid = batch.id

    with sessions() as s:
        batch = tr.get_batch(s, bid)
        with pytest.raises(RegistryError, match="other side"):
            tr.scan(s, batch, "out", codes[0], "nhan")  # the receiver cannot scan out
        for c in codes:
            tr.scan(s, batch, "out", c, "giao")
        assert tr.scan(s, batch, "out", codes[0], "giao").status == "again"
        for i, c in enumerate(codes):
            if i in (17, 250):
                continue  # two boxes never arrive
            slot = f"K2-G01-T{i // 80 + 1}-V{(i % 80) // 10 + 1:02d}"
            tr.scan(s, batch, "in", c, "nhan", slot=slot)
        assert tr.scan(s, batch, "in", "P01-ML1-H301", "nhan").status == "unexpected"
        s.commit()

    with sessions() as s:
        batch = tr.get_batch(s, bid)
        rep = tr.batch_report(s, batch)
        assert rep.counts() == {
            "expected": 300,
            "scanned_out": 300,
            "received": 298,
            "not_scanned_out": 0,
            "missing": 2,
            "declared_missing": 0,
            "withdrawn": 0,
            "unexpected": 1,
            "rejected": 0,
        }
        assert rep.missing == [codes[17], codes[250]] and rep.unexpected == ["P01-ML1-H301"]
        assert not rep.can_close
        with pytest.raises(Conflict) as e:
            tr.close_batch(s, batch, "nhan")
        msg = str(e.value)
        assert codes[17] in msg and codes[250] in msg and "P01-ML1-H301" in msg
        # the unexpected box is sent back; one late box turns up, the other is declared missing
        tr.resolve_unexpected(s, batch, "P01-ML1-H301", False, "nhan")
        tr.scan(s, batch, "in", codes[17], "nhan", slot="K2-G01-T5-V08")
        with pytest.raises(Conflict, match="1 box"):
            tr.close_batch(s, batch, "nhan")
        tr.declare_missing(s, batch, codes[250], "nhan", note="không có trong xe chuyển")
        with pytest.raises(RegistryError, match="other side"):
            tr.close_batch(s, batch, "giao")  # the receiver closes
        totals = tr.batch_totals(s, batch)
        assert (totals.boxes, totals.files, totals.metres) == (299, 598, 37.38)
        rep = tr.close_batch(s, batch, "nhan")
        assert rep.state == "closed" and len(rep.received) == 299 and rep.declared_missing == [codes[250]]
        s.commit()

    with sessions() as s:
        hist = orgs.get_organisation(s, "LTLS")
        kept = s.scalar(select(func.count()).select_from(BoxArchival).where(BoxArchival.organisation_id == hist.id))
        assert kept == 299
        assert orgs.boxes_kept_by(s, hist.id) == 299
        assert orgs.boxes_kept_by(s, orgs.get_organisation(s, "SNV").id) == 303 - 299
        box = sv.get_box(s, codes[0])
        assert box.status == "in_place" and box.current_slot is not None and box.current_slot.code == "K2-G01-T1-V01"
        kinds = [e.kind for e in s.scalars(select(BoxEvent).where(BoxEvent.box_id == box.id).order_by(BoxEvent.id))]
        assert kinds == ["created", "handed_over", "placed"]  # the sender's history stays, the receiver's follows
        ev = s.scalar(select(BoxEvent).where(BoxEvent.box_id == box.id, BoxEvent.kind == "handed_over"))
        assert ev is not None and ev.data == {"batch": tr.get_batch(s, bid).code, "from_org": "SNV", "to_org": "LTLS"}
        missing = sv.get_box(s, codes[250])
        assert missing.status == "missing"
        assert s.scalar(select(SearchTask.closed_at).where(SearchTask.box_id == missing.id)) is None
        assert sv.get_box(s, "P01-ML1-H301").status == "in_place"  # sent back: still the sender's
        # the sender's keeper can no longer move what it handed over; the receiver's can
        with pytest.raises(RegistryError, match="kept by Trung tâm"):
            sv.place_box(s, box, "K2-G01-T1-V02", "giao")
        sv.place_box(s, box, "K2-G01-T1-V02", "nhan")
        with pytest.raises(Conflict, match="closed"):
            tr.scan(s, tr.get_batch(s, bid), "in", codes[1], "nhan")
        assert [b.code for b in tr.batches_for(s, "khac")] == []
        assert [b.id for b in tr.batches_for(s, "nhan")] == [bid]
