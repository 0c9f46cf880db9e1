"""Labels a phone can use: the full fonds name, a larger code, the year once; `kho labels print` refuses a
loopback public_base_url unless forced."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from inventory.db import session_scope
from inventory.labels import LabelRecord, render_labels
from inventory.labels.source import label_records
from inventory.services import BoxIn, create_box, create_fonds
from kho import db as kho_db
from tests.inventory.tools.helpers import decode_qr_png, run

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "keeper"
LONG_FONDS = "Phông P35 – Sở Tài nguyên và Môi trường tỉnh Bà Rịa – Vũng Tàu"


def _words_with_size(pdf: Path) -> list[tuple[str, float]]:
    """Each word of the PDF with its height in points (pdftotext -bbox)."""
    xml = run(["pdftotext", "-bbox", str(pdf), "-"])
    return [
        (w, float(y1) - float(y0))
        for y0, y1, w in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)</word>', xml
        )
    ]


def test_label_shows_the_whole_fonds_name_and_a_large_code(tmp_path: Path) -> None:
    record = LabelRecord(
        token=secrets.token_urlsafe(12),
        code="P35-ML3-H045",
        lines=(LONG_FONDS, "Mục lục số 12", "Hộp số 45", "1995–2003", "Hồ sơ giao đất của huyện Xuyên Mộc"),
    )
    pdf = tmp_path / "label.pdf"
    render_labels([record], "https://kho.example.vn", pdf, workers=1)
    words = _words_with_size(pdf)
    text = " ".join(w for w, _ in words)
    assert "…" not in text.split("Mục")[0], "the fonds name is not cut"
    for word in LONG_FONDS.split():
        assert word in text, word
    code_h = next(h for w, h in words if w == "P35-ML3-H045")
    line_h = next(h for w, h in words if w == "Mục")
    assert code_h >= 1.4 * line_h, (code_h, line_h)
    # look at it as a person would: a PNG at 60 dpi next to the other keeper artefacts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(ARTIFACTS / "label-sheet")])
    run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "300",
            "-singlefile",
            "-x",
            "0",
            "-y",
            "100",
            "-W",
            "900",
            "-H",
            "560",
            str(pdf),
            str(ARTIFACTS / "label-zoom"),
        ]
    )
    assert decode_qr_png(ARTIFACTS / "label-zoom.png") == [f"https://kho.example.vn/s/{record.token}"]


def test_box_label_prints_the_year_once(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        create_fonds(s, "P12", "UBND huyện Đông Anh")
        create_box(s, BoxIn("P12", 1, 1, title="Năm 1995", date_from=date(1995, 1, 1), date_to=date(1995, 12, 31)), "t")
        create_box(
            s, BoxIn("P12", 1, 2, title="Hồ sơ đất 1995", date_from=date(1995, 1, 1), date_to=date(1995, 12, 31)), "t"
        )
    with session_scope(sessions) as s:
        first, second = label_records(s, "boxes", "P12")
    assert " ".join(first.lines).count("1995") == 1 and "1995" in first.lines
    assert second.lines[-2:] == ("1995", "Hồ sơ đất 1995"), "a title that says more is kept"


def _kho(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("kho")), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_labels_print_refuses_a_loopback_base_url(tmp_path: Path, sqlite_url: str) -> None:
    kho_db.upgrade(sqlite_url)
    from inventory.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    with session_scope(make_sessionmaker(engine)) as s:
        create_fonds(s, "P12", "UBND huyện Đông Anh")
        create_box(s, BoxIn("P12", 1, 1), "t")
    engine.dispose()
    env = dict(os.environ, KHO_DATABASE__URL=sqlite_url, KHO_STATE_DIR=str(tmp_path / "state"), COLUMNS="200")
    env.pop("KHO_WEB__PUBLIC_BASE_URL", None)  # the default, http://127.0.0.1:8080
    out = tmp_path / "labels.pdf"
    r = _kho(env, "labels", "print", "--out", str(out))
    assert r.returncode == 1 and not out.exists() and "Traceback" not in r.stderr
    msg = " ".join(r.stderr.split())
    assert "http://127.0.0.1:8080" in msg and "điện thoại quét nhãn sẽ không mở được" in msg and "--force" in msg
    for url in ("http://localhost:8080", "http://[::1]:8080"):
        assert _kho(env, "labels", "print", "--out", str(out), "--base-url", url).returncode == 1, url
    r = _kho(env, "labels", "print", "--out", str(out), "--force")
    assert r.returncode == 0 and out.exists(), r.stderr
    r = _kho(env, "labels", "print", "--out", str(out), "--base-url", "https://192.168.1.20:8443")
    assert r.returncode == 0, r.stderr
