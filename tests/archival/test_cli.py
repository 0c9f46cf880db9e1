"""`kho archival …` from the shell: organisations, due list, a batch scanned from files, documents, a
reorganisation report; bad input is one line, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

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
    out = run("org", "close-fonds", "P01", "--on", "nope", "--reason", "chia", code=1)
    assert "not a date" in out
