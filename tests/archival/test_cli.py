"""`kho archival …` from the shell: organisations, due list, a batch scanned from files, documents, a
reorganisation report; bad input is one line, never a traceback."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from inventory import services as sv
from inventory.db import make_engine, make_sessionmaker
from inventory.errors import RegistryError
from kho.cli import app


def test_archival_commands(migrated_url: str, tmp_path: Path) -> None:
    env = {"KHO_DATABASE__URL": migrated_url, "KHO_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}

    def run(*args: str, code: int = 0) -> str:
        res = CliRunner().invoke(app, ["archival", *args], env=env)
        # a RegistryError reaches kho.cli.main, which prints it as one line (tests/test_cli_errors.py)
        failed = isinstance(res.exception, RegistryError)
        assert (1 if failed else res.exit_code) == code, res.output
        assert "Traceback" not in res.output
        return res.output + (str(res.exception) if failed else "")

    def kho(*args: str) -> str:
        res = CliRunner().invoke(app, list(args), env=env)
        assert res.exit_code == 0, res.output
        return res.output

    run("org", "add", "LTLS", "Trung tâm Lưu trữ lịch sử tỉnh", "--kind", "historical_archive")
    run("org", "add", "UBT", "UBND tỉnh", "--kind", "superior")
    run("org", "add", "SNV", "Sở Nội vụ", "--parent", "UBT", "--historical-archive", "LTLS")
    kho("fonds", "add", "P01", "Phông Sở Nội vụ")
    run("org", "fonds", "P01", "SNV", "--rule", "2011")
    for n in (1, 2, 3):
        kho("boxes", "add", "P01", "1", str(n), "--title", f"Hộp {n}")
    out = run("org", "list")
    assert "SNV" in out and "historical_archive" in out
    out = run("due", "SNV", "--year", "2040")
    assert "0 hồ sơ / files" in out  # boxes with no files: nothing listed
    out = run("batch", "create", "SNV", "LTLS", "--fonds", "P01", "--title", "Tài liệu Sở Nội vụ")
    code = out.split("batch ")[1].split(":")[0].strip()
    assert "3 boxes on the list" in out and "empty_box" in out
    scans = tmp_path / "scans.txt"
    scans.write_text("P01-ML1-H001\nP01-ML1-H002\nP01-ML1-H003\n")
    assert "ok 3" in run("batch", "scan", code, "--side", "out", "--file", str(scans))
    assert "ok 2" in run("batch", "scan", code, "--side", "in", "P01-ML1-H001", "P01-ML1-H002")
    out = run("batch", "close", code, code=1)
    assert "P01-ML1-H003" in out and "cannot be closed" in out
    run("batch", "missing", code, "P01-ML1-H003", "--note", "không thấy")
    assert "2 boxes handed over" in run("batch", "close", code)
    out = run("batch", "documents", code, "--out", str(tmp_path / "docs"))
    pdf = tmp_path / "docs" / f"{code}-bien-ban.pdf"
    assert pdf.is_file() and (tmp_path / "docs" / f"{code}-muc-luc.xlsx").is_file()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Sở Nội vụ" in text and "2 hộp" in text
    out = run(
        "reorg", "register", "--decision", "QĐ 5/QĐ-UBND", "--on", "2025-07-01", "--kind", "giai_the", "--ended", "SNV"
    )
    assert "1 boxes to account for" in out  # the missing box is still the agency's
    out = run("reorg", "report", "1")
    assert "closed" in out and "complete" in out and "not complete" not in out  # the missing one is searched for
    out = run("backlog-add", "P01", "--bundle", "30", "--bundle", "20", "--on", "2025-01-10")
    assert "0.50 m registered (2 bundles)" in out
    assert "0.20 m arranged" in run("backlog-arranged", "P01", "--metres", "0.2", "--on", "2025-06-01")
    out = run("backlog")
    assert "Sở Nội vụ" in out and "0.30" in out and "Toàn tỉnh" in out
    table = tmp_path / "bang.csv"
    table.write_text("Mã,Tên,Thời hạn\n5.1,Hồ sơ tổ chức,Vĩnh viễn\n")
    assert "1 rules imported" in run("retention", "import", "TT 10/2022", str(table))
    res = CliRunner().invoke(app, ["boxes", "add", "P01", "2", "1"], env=env)
    assert isinstance(res.exception, RegistryError) and "closed since 01/07/2025" in str(res.exception)
    # destruction from the shell: a 10-year file of 2010 expired by 2020
    run("org", "add", "STC", "Sở Tài chính")
    kho("fonds", "add", "P02", "Phông Sở Tài chính")
    run("org", "fonds", "P02", "STC")
    engine = make_engine(migrated_url)
    with make_sessionmaker(engine)() as s:
        files = [sv.FileIn(1, "Chứng từ kế toán 2010", date(2010, 1, 1), date(2010, 12, 31), 10, 30)]
        sv.create_box(s, sv.BoxIn("P02", 1, 1, files=files), "t")
        s.commit()
    engine.dispose()
    assert "1 hồ sơ" in run("destruction", "expired", "STC", "--year", "2020")
    out = run("destruction", "open", "STC", "--year", "2020")
    ref = out.split()[0]
    assert "1 files listed" in out
    m1 = run("destruction", "member", ref, "Trần Văn Chủ", "--role", "chair").split()[1]
    m2 = run("destruction", "member", ref, "Lê Thị Thư", "--role", "secretary").split()[1]
    m3 = run("destruction", "member", ref, "Hoàng Chuyên", "--role", "expert").split()[1]
    run("destruction", "vote", ref, m1, "--approve")
    run("destruction", "vote", ref, m2, "--approve")
    assert "reject 1" in run("destruction", "vote", ref, m3, "--reject", "--dissent", "Còn giá trị")
    run("destruction", "appraisal", ref, "Sở Nội vụ", "Đồng ý", "--on", "2026-01-02")
    assert "by 20/01/2026" in run("destruction", "decide", ref, "QĐ 9", "Giám đốc", "--on", "2026-01-05")
    run("destruction", "handover", ref, "Công ty Môi trường", "--on", "2026-01-06")
    huy = tmp_path / "huy.pdf"
    out = run("destruction", "record", ref, "BB 1", "--on", "2026-01-19", "--out", str(huy))
    assert "1 boxes left their slots" in out and "late" not in out
    text = subprocess.run(["pdftotext", str(huy), "-"], capture_output=True, text=True, check=True).stdout
    assert "BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ" in text and "Chứng từ kế toán 2010" in text
    out = run("org", "close-fonds", "P01", "--on", "nope", "--reason", "chia", code=1)
    assert "not a date" in out
