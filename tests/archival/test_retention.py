"""Retention tables: imported from CSV and XLSX, bad rows reported all at once, a file's retention set from a rule,
and the due and destruction lists follow it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import destruction as de
from inventory.archival import orgs
from inventory.archival import retention as rt
from inventory.errors import NotFound, RegistryError
from tests.archival.conftest import make_fonds, make_org, make_user

TABLE = "Thông tư 10/2022/TT-BNV"


def test_retention_table_import_and_use(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        org = make_org(s, "SNV", "Sở Nội vụ")
        make_org(s, "STC", "Sở Tài chính")
        make_fonds(s, "P01", "Phông Sở Nội vụ", org)
        make_user(s, "khac", "keeper", orgs.get_organisation(s, "STC"))
        csv_data = (
            "Mã,Tên nhóm hồ sơ,Thời hạn lưu trữ\n"
            "1.1,Hồ sơ xây dựng quy chế,Vĩnh viễn\n"
            "1.5,Sổ đăng ký văn bản đi,20 năm\n"
        )
        assert rt.import_retention_table(s, TABLE, csv_data.encode(), "bang.csv", actor="t") == 2
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(["Mã", "Tên", "Thời hạn"])
        ws.append(["2.1", "Chứng từ kế toán", "10"])
        ws.append(["2.2", "", "abc"])
        ws.append(["2.3", "Báo cáo tháng", "mãi mãi"])
        buf = io.BytesIO()
        wb.save(buf)
        with pytest.raises(RegistryError, match="2 error") as e:
            rt.import_retention_table(s, "Bảng riêng", buf.getvalue(), "bang.xlsx", organisation="SNV", actor="t")
        assert "row 3" in str(e.value) and "row 4" in str(e.value)
        assert rt.find_rule(s, TABLE, "1.5").years == 20  # the failed import changed nothing
        box = sv.create_box(
            s,
            sv.BoxIn(
                "P01",
                1,
                1,
                files=[sv.FileIn(1, "Sổ đăng ký văn bản đi năm 2000", date(2000, 1, 1), date(2000, 12, 31))],
            ),
            "t",
        )
        assert box.files[0].retention_years is None  # permanent until told otherwise
        assert rt.set_file_retention(s, "P01-ML1-H001", 1, TABLE, "1.5", "t") == 20
        assert [f.box_code for f in de.expired_files(s, org, 2020)] == ["P01-ML1-H001"]  # 2000 + 20 ≤ 2020
        assert de.expired_files(s, org, 2019) == []
        with pytest.raises(NotFound, match=r"no rule 9\.9"):
            rt.set_file_retention(s, "P01-ML1-H001", 1, TABLE, "9.9", "t")
        with pytest.raises(RegistryError, match="another organisation"):
            rt.set_file_retention(s, "P01-ML1-H001", 1, TABLE, "1.1", "khac")
        assert rt.parse_retention("Vĩnh viễn") is None and rt.parse_retention("70 năm") == 70
