"""A merger of two agencies with 2,000 boxes each: every box ends accounted for, the ended fonds are closed and
refuse new boxes, and the counts before and after match exactly."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import orgs
from inventory.archival import reorganisation as ro
from inventory.archival import transfers as tr
from inventory.archival.models import BoxArchival, FondsArchival
from inventory.errors import Conflict, RegistryError
from inventory.models import Box, BoxEvent
from tests.archival.conftest import bulk_boxes, make_fonds, make_org, make_user

N = 2000


@pytest.mark.slow  # 4,000 boxes: the full suite runs it, `make check` does not
def test_merger_of_two_agencies_with_2000_boxes_each(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        make_org(s, "UBT", "UBND tỉnh Quảng Trị", "superior")
        make_org(s, "LTLS", "Trung tâm Lưu trữ lịch sử tỉnh", "historical_archive")
        for code, name in (("SKH", "Sở Kế hoạch và Đầu tư"), ("STC", "Sở Tài chính")):
            org = make_org(s, code, name, parent="UBT", historical_archive="LTLS")
            bulk_boxes(s, make_fonds(s, f"P{code}", f"Phông {name}", org), N, permanent_every=4)
        new = make_org(s, "STCM", "Sở Tài chính (mới)", parent="UBT", historical_archive="LTLS")
        make_fonds(s, "PSTCM", "Phông Sở Tài chính (mới)", new)
        make_user(s, "tinh", "manager", None)
        make_user(s, "keeper.stc", "keeper", orgs.get_organisation(s, "STC"))
        s.commit()
        before = {
            code: s.scalar(
                select(func.count())
                .select_from(Box)
                .join(FondsArchival, FondsArchival.fonds_id == Box.fonds_id)
                .where(Box.code.like(f"{code}-%"))
            )
            for code in ("PSKH", "PSTC")
        }
        assert before == {"PSKH": N, "PSTC": N}

    with sessions() as s:
        with pytest.raises(RegistryError, match="unknown reorganisation kind"):
            ro.register_reorganisation(s, "QĐ 1", date(2025, 7, 1), "teleport", ["SKH"], ["STCM"], "tinh")
        reorg = ro.register_reorganisation(
            s, "Quyết định 1234/QĐ-UBND", date(2025, 7, 1), "hop_nhat", ["SKH", "STC"], ["STCM"], "tinh"
        )
        assert reorg.boxes_before == 2 * N
        skh = sv.get_fonds(s, "PSKH")
        assert s.get(FondsArchival, skh.id).status == "closed"  # type: ignore[union-attr]
        assert [f.code for f in orgs.successors_of(s, skh)] == ["PSTCM"]
        with pytest.raises(Conflict, match="closed since 01/07/2025"):
            sv.create_box(s, sv.BoxIn("PSKH", 1, N + 1), "tinh")
        proposals = ro.propose(s, reorg)
        rules = {p.rule for p in proposals}
        assert rules == {"permanent", "decision"} and len(proposals) == 2 * N
        assert sum(p.rule == "permanent" for p in proposals) == 2 * (N // 4)
        batches = ro.start_handover(s, reorg, "tinh")
        s.commit()
        assert sorted((b.sender.code, b.receiver.code, len(b.items)) for b in batches) == [
            ("SKH", "LTLS", N // 4),
            ("SKH", "STCM", N - N // 4),
            ("STC", "LTLS", N // 4),
            ("STC", "STCM", N - N // 4),
        ]
        rec = ro.reconcile(s, reorg)
        assert not rec.complete and {f.fonds_code: f.in_place for f in rec.fonds} == {"PSKH": N, "PSTC": N}
        batch_ids = [b.id for b in batches]

    with sessions() as s:
        lost = "PSTC-ML1-H777"
        for bid in batch_ids:
            b = tr.get_batch(s, bid)
            codes = [
                c
                for (c,) in s.execute(
                    select(Box.code)
                    .join(tr.TransferItem, tr.TransferItem.box_id == Box.id)
                    .where(tr.TransferItem.batch_id == bid)
                )
            ]
            assert tr.scan_many(s, b, "out", codes, "tinh")["ok"] == len(codes)
            arrived = [c for c in codes if c != lost]
            assert tr.scan_many(s, b, "in", arrived, "tinh")["ok"] == len(arrived)
            if lost in codes:
                with pytest.raises(Conflict, match=lost):
                    tr.close_batch(s, b, "tinh")
                tr.declare_missing(s, b, lost, "tinh", note="không thấy khi bàn giao")
            tr.close_batch(s, b, "tinh")
        s.commit()

    with sessions() as s:
        reorg = ro.get_reorganisation(s, reorg.id)
        rec = ro.reconcile(s, reorg)
        assert rec.open_batches == []
        assert {
            (f.fonds_code, f.total, f.received, f.in_place, f.missing_searched, tuple(f.unaccounted)) for f in rec.fonds
        } == {
            ("PSKH", N, N, 0, 0, ()),
            ("PSTC", N, N - 1, 0, 1, ()),
        }
        assert rec.boxes_now == rec.boxes_before == 2 * N and rec.complete
        kept = dict(
            s.execute(
                select(orgs.Organisation.code, func.count())
                .join(BoxArchival, BoxArchival.organisation_id == orgs.Organisation.id)
                .group_by(orgs.Organisation.code)
            ).all()
        )
        assert kept == {"LTLS": 2 * (N // 4), "STCM": 2 * (N - N // 4) - 1}
        assert s.scalar(select(func.count()).select_from(BoxEvent).where(BoxEvent.kind == "handed_over")) == 2 * N - 1
        # the ended agency's keeper cannot move what now belongs to the new one
        with pytest.raises(RegistryError, match="kept by"):
            sv.check_out(s, sv.get_box(s, "PSTC-ML1-H001"), "Nguyễn Văn B", "reading_room", "keeper.stc")
