"""Label PDFs: QR codes decode back to the label URLs, ECC ≥ M, 3×7 A4 layout, Vietnamese text, embedded fonts."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import session_scope
from inventory.labels import L7160, LabelRecord, label_url, render_labels
from inventory.labels.pdf import QR_SIDE_MM
from inventory.labels.qr import QUIET_ZONE, make_symbol, make_symbols
from inventory.labels.source import date_range, label_records
from inventory.models import LabelToken
from inventory.services import BoxIn, create_box
from tests.inventory.tools.helpers import decode_qr_png, run

BASE = "https://kho.example.vn"
DPI = 200
ECL_BITS = {1: "L", 0: "M", 3: "Q", 2: "H"}


def _records(n: int) -> list[LabelRecord]:
    return [
        LabelRecord(
            token=secrets.token_urlsafe(12),
            code=f"P12-ML3-H{i:03d}",
            lines=(
                "Phông P12 – Ủy ban nhân dân tỉnh Lâm Đồng",
                "Mục lục số 3",
                f"Hộp số {i}",
                "1995–2003",
                "Hồ sơ giao đất, quyết định của huyện Đức Trọng",
            ),
        )
        for i in range(1, n + 1)
    ]


def _read_format_ecl(img: Image.Image, x_mm: float, y_mm: float, size: int) -> str:
    """Error correction level read from the format bits next to the top-left finder (ISO 18004 §7.9)."""
    modules = size + 2 * QUIET_ZONE
    m = QR_SIDE_MM / modules
    px = DPI / 25.4

    def dark(row: int, col: int) -> int:
        cx = (x_mm + (QUIET_ZONE + col + 0.5) * m) * px
        cy = (y_mm + (QUIET_ZONE + row + 0.5) * m) * px
        value = img.getpixel((round(cx), round(cy)))
        assert isinstance(value, int)
        return 1 if value < 128 else 0

    # sanity: the finder pattern's corner and centre are dark, its inner ring light
    assert dark(0, 0) == 1 and dark(3, 3) == 1 and dark(1, 1) == 0
    positions = [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - i) for i in range(9, 15)]
    bits = sum(dark(r, c) << i for i, (r, c) in enumerate(positions)) ^ 0x5412
    return ECL_BITS[(bits >> 13) & 3]


def test_pdf_qr_codes_decode_to_label_urls_with_ecc_m(tmp_path: Path) -> None:
    records = _records(23)  # one full 3×7 sheet and 2 labels on a second page
    out = tmp_path / "labels.pdf"
    pages = render_labels(records, BASE, out, workers=1)
    assert pages == 2
    info = run(["pdfinfo", str(out)])
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(out), str(tmp_path / "page")])
    page1, page2 = sorted(tmp_path.glob("page-*.png"))
    px = DPI / 25.4
    # each of the 3 × 7 label positions holds exactly the QR of its record, with error correction M or better
    with Image.open(page1) as img:
        gray = img.convert("L")
        for i, rec in enumerate(records[:21]):
            x, y = L7160.origin(i)
            crop = tmp_path / f"label-{i}.png"
            gray.crop((int(x * px), int(y * px), int((x + L7160.label_w) * px), int((y + L7160.label_h) * px))).save(
                crop
            )
            url = label_url(BASE, rec.token)
            assert decode_qr_png(crop) == [url], f"label {i} (row {i // 3 + 1}, column {i % 3 + 1})"
            size = make_symbol(url).size
            assert _read_format_ecl(gray, x + L7160.padding, y + L7160.padding, size) in ("M", "Q", "H")
    assert sorted(decode_qr_png(page2)) == sorted(label_url(BASE, r.token) for r in records[21:])


def test_pdf_text_is_vietnamese_with_embedded_fonts(tmp_path: Path) -> None:
    out = tmp_path / "labels.pdf"
    render_labels(_records(3), BASE, out, workers=1)
    text = run(["pdftotext", "-layout", str(out), "-"])
    for needle in ("P12-ML3-H001", "Phông P12", "Mục lục số 3", "Hộp số 2", "1995–2003", "Đức Trọng"):
        assert needle in text, needle
    fonts = run(["pdffonts", str(out)])
    lines = [ln for ln in fonts.splitlines() if "DejaVu" in ln]
    assert len(lines) == 2, fonts  # regular + bold
    for ln in lines:
        emb, sub, uni = ln.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), ln


@pytest.mark.slow  # a process pool: the full suite runs it, `make check` does not
def test_symbols_in_parallel_match_serial() -> None:
    data = [f"{BASE}/s/{secrets.token_urlsafe(12)}" for _ in range(600)]
    assert list(make_symbols(data, workers=2, chunk=100)) == [make_symbol(d) for d in data]
    assert all(s.error in ("M", "Q", "H") for s in map(make_symbol, data[:20]))


def test_empty_and_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no labels"):
        render_labels([], BASE, tmp_path / "x.pdf")
    assert date_range(None, None) == ""
    from datetime import date

    assert date_range(date(1995, 1, 1), date(2003, 12, 31)) == "1995–2003"
    assert date_range(date(1996, 2, 1), date(1996, 11, 30)) == "01/02/1996–30/11/1996"


def test_box_labels_from_database_use_active_tokens(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    from datetime import date

    from inventory.services import create_fonds

    with session_scope(sessions) as s:
        create_fonds(s, "P12", "UBND tỉnh Lâm Đồng")
        for n in (1, 2, 3):
            create_box(
                s,
                BoxIn(fonds="P12", catalogue=3, number=n, date_from=date(1995, 1, 1), date_to=date(2003, 12, 31)),
                actor="t",
            )
    with session_scope(sessions) as s:
        records = label_records(s, "boxes", "p12")
        tokens = {c: t for c, t in s.execute(select(LabelToken.code, LabelToken.token).where(LabelToken.kind == "box"))}
    assert [r.code for r in records] == ["P12-ML3-H001", "P12-ML3-H002", "P12-ML3-H003"]
    assert all(tokens[r.code] == r.token for r in records)
    assert records[0].lines[:4] == ("Phông P12 – UBND tỉnh Lâm Đồng", "Mục lục số 3", "Hộp số 1", "1995–2003")
    out = tmp_path / "boxes.pdf"
    render_labels(records, BASE, out, workers=1)
    run(["pdftoppm", "-r", "200", "-gray", "-png", str(out), str(tmp_path / "p")])
    urls = decode_qr_png(next(tmp_path.glob("p-*.png")))
    assert sorted(urls) == sorted(f"{BASE}/s/{tokens[r.code]}" for r in records)


def test_fast_mask_selection_yields_standard_symbols() -> None:
    """Each symbol is exactly segno's encoding of the data with one of the 8 masks (format bits included)."""
    import segno

    from inventory.labels.qr import decode_matrix

    for _ in range(40):
        url = f"{BASE}/s/{secrets.token_urlsafe(12)}"
        sym = make_symbol(url)
        matrix = decode_matrix(sym)
        assert any([list(r) for r in segno.make_qr(url, error="m", mask=k).matrix] == matrix for k in range(8))


def test_place_labels_for_a_fonds_resolve_to_their_targets(sessions: sessionmaker[Session]) -> None:
    from inventory.models import Slot
    from inventory.services import create_fonds, get_box, place_box, resolve_label
    from tests.inventory.tools.helpers import make_site

    with session_scope(sessions) as s:
        make_site(s, units=2)
        create_fonds(s, "P12", "UBND tỉnh Lâm Đồng")
        box = create_box(s, BoxIn(fonds="P12", catalogue=1, number=1), actor="t")
        slot = s.scalars(select(Slot).order_by(Slot.id.desc())).first()  # in the second unit
        assert slot is not None
        place_box(s, get_box(s, box.id), slot.code, "keeper")
        slot_code = slot.code
    with session_scope(sessions) as s:
        by_kind = {w: label_records(s, w, "P12") for w in ("slots", "shelves", "units", "rooms")}
        all_rooms = label_records(s, "rooms")
    assert [r.code for r in by_kind["slots"]] == [slot_code]
    assert [r.code for r in by_kind["shelves"]] == [slot_code.rsplit("-", 1)[0]]
    assert [r.code for r in by_kind["units"]] == [slot_code.rsplit("-", 2)[0]]
    assert [r.code for r in by_kind["rooms"]] == ["LD-K1"] == [r.code for r in all_rooms]
    assert by_kind["rooms"][0].token == all_rooms[0].token  # created once, then reused
    assert "Phòng kho số 1" in by_kind["rooms"][0].lines
    with session_scope(sessions) as s:
        for what, kind in (("slots", "slot"), ("shelves", "shelf"), ("units", "unit"), ("rooms", "room")):
            target = resolve_label(s, label_url(BASE, by_kind[what][0].token))
            assert (target.kind, target.code) == (kind, by_kind[what][0].code)
