"""Scanned documents of a destruction file: uploaded through the page (PDF or image, checked by their bytes),
listed with download links, served with their real type behind login and only to the organisation's staff;
anything else refused with the page shown again (422). Migration i0012 goes up, down and up again."""

from __future__ import annotations

import io
import re
import stat
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from fpdf import FPDF
from httpx import Response
from PIL import Image
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.archival import destruction as de
from inventory.archival import destruction_documents as dd
from inventory.archival import orgs
from inventory.archival.models import DestructionDocument
from inventory.db import make_engine
from kho import db as kho_db
from kho.settings import Settings
from tests.archival.conftest import csrf_of, make_user

Clients = Callable[[str | None], TestClient]


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Quyet dinh huy tai lieu so 12/QD-STC")
    return bytes(pdf.output())


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 180, 150)).save(buf, "PNG")
    return buf.getvalue()


def _review(sessions: sessionmaker[Session]) -> int:
    """A destruction file of Sở Tài chính (STC) with one expired file; ``snv_boss`` manages Sở Nội vụ."""
    with sessions() as s:
        files = [sv.FileIn(1, "Chứng từ thu chi năm 2014", date(2014, 1, 1), date(2014, 12, 31), 10, 60)]
        sv.create_box(s, sv.BoxIn("P02", 1, 2, files=files), "seed")
        make_user(s, "snv_boss", "manager", orgs.get_organisation(s, "SNV"))
        rid = de.open_review(s, "STC", 2025, "khac").id
        s.commit()
    return rid


def _upload(
    c: TestClient, url: str, kind: str, name: str, data: bytes, ctype: str = "application/octet-stream"
) -> Response:
    return c.post(f"{url}/documents", data={"csrf": csrf_of(c, url), "kind": kind}, files={"file": (name, data, ctype)})


def test_upload_list_and_download(
    client_factory: Clients, sessions: sessionmaker[Session], app_settings: Settings
) -> None:
    rid = _review(sessions)
    url = f"/archival/destructions/{rid}"
    khac = client_factory("khac")
    page = khac.get(url).text
    assert "Văn bản đã quét" in page and "Chưa đính kèm văn bản nào" in page and 'id="doc-upload"' in page
    pdf = _pdf()
    r = _upload(khac, url, "appraisal", "Thẩm định Sở Nội vụ.pdf", pdf, "application/pdf")
    assert r.status_code == 303 and r.headers["location"] == f"{url}#documents"
    # a PNG sent under a PDF's name and type is stored and served as what it is
    png = _png()
    r = _upload(khac, url, "decision", "quyet-dinh.pdf", png, "application/pdf")
    assert r.status_code == 303
    page = khac.get(url).text
    assert "Đã đính kèm quyet-dinh.png" in page
    links = re.findall(rf'href="({url}/documents/\d+)"[^>]*>([^<]+)</a>', page)
    assert [n for _, n in links] == ["Thẩm định Sở Nội vụ.pdf", "quyet-dinh.png"]
    assert "Văn bản thẩm định" in page and "Quyết định hủy" in page and ">PDF<" in page and ">PNG<" in page
    got = khac.get(links[0][0])
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"] == "application/pdf" and got.headers["x-content-type-options"] == "nosniff"
    assert (
        got.headers["content-disposition"].startswith("attachment;")
        and "filename*=utf-8''" in (got.headers["content-disposition"])
    )
    img = khac.get(links[1][0])
    assert img.status_code == 200 and img.content == png and img.headers["content-type"] == "image/png"
    assert 'filename="quyet-dinh.png"' in img.headers["content-disposition"]
    # stored as private files under the state directory
    with sessions() as s:
        stored = [d.stored for d in s.scalars(select(DestructionDocument).order_by(DestructionDocument.id))]
    paths = [Path(app_settings.state_dir) / p for p in stored]
    assert [p.suffix for p in paths] == [".pdf", ".png"] and paths[0].read_bytes() == pdf
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths)
    # the API shows them too, and accepts an upload
    api = khac.get(f"/api/archival/destructions/{rid}").json()
    assert [(d["kind"], d["media_type"]) for d in api["documents"]] == [
        ("appraisal", "application/pdf"),
        ("decision", "image/png"),
    ]
    r = khac.post(
        f"/api/archival/destructions/{rid}/documents",
        data={"kind": "record"},
        files={"file": ("bien-ban.pdf", pdf, "application/pdf")},
        headers={"X-CSRF-Token": csrf_of(khac)},
    )
    assert r.status_code == 201 and r.json()["media_type"] == "application/pdf" and r.json()["size"] == len(pdf)
    assert khac.get(f"/api/archival/destructions/{rid}/documents/{r.json()['id']}").content == pdf
    # English page
    en = khac.get(url, params={"lang": "en"}).text
    assert "Scanned documents" in en and "Appraisal opinion" in en and "The fields above remain valid" in en


def test_who_sees_and_what_is_refused(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    rid = _review(sessions)
    url = f"/archival/destructions/{rid}"
    khac = client_factory("khac")
    assert _upload(khac, url, "decision", "qd.pdf", _pdf()).status_code == 303
    with sessions() as s:
        doc_id = s.scalars(select(DestructionDocument.id)).one()
    doc = f"{url}/documents/{doc_id}"
    # behind login; only the organisation's staff (and the province's) see it; keepers cannot upload
    anonymous = client_factory(None)
    r = anonymous.get(doc)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client_factory("snv_boss").get(doc).status_code == 403
    assert client_factory("tinh").get(doc).status_code == 200
    assert client_factory("giao").get(doc).status_code == 403
    boss = client_factory("snv_boss")
    r = boss.post(
        f"{url}/documents",
        data={"csrf": csrf_of(boss), "kind": "decision"},
        files={"file": ("qd.pdf", _pdf(), "application/pdf")},
    )
    assert r.status_code == 403
    assert khac.get(f"{url}/documents/{doc_id + 99}").status_code == 404
    # what is not a PDF or an image: the page again, 422, the reason beside the form, the kind chosen kept
    cases = [
        ("scan.pdf", b"Hello, this is text", "Văn bản phải là tệp PDF hoặc ảnh JPEG, PNG, WebP"),
        ("scan.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "Văn bản phải là tệp PDF hoặc ảnh JPEG, PNG, WebP"),
        ("scan.pdf", _pdf()[:200], "Tệp PDF bị cắt cụt"),
        ("scan.pdf", b"", "Tệp trống"),
        ("scan.pdf", b"%PDF-1.4\n" + b"0" * dd.MAX_BYTES + b"\n%%EOF\n", "Tệp lớn hơn 10 MB"),
    ]
    for name, data, words in cases:
        r = _upload(khac, url, "record", name, data)
        assert r.status_code == 422, (name, r.text[:200])
        assert words in r.text and "Traceback" not in r.text, (name, words)
        assert '<option value="record" selected>' in r.text and 'id="doc-error"' in r.text
    r = khac.post(f"{url}/documents", data={"csrf": csrf_of(khac, url), "kind": "record"})
    assert r.status_code == 422 and "Hãy chọn tệp quét" in r.text
    r = _upload(khac, url, "minutes", "scan.pdf", _pdf())
    assert r.status_code == 422 and "Loại văn bản không hợp lệ" in r.text
    r = khac.post(
        f"{url}/documents?lang=en",
        data={"csrf": csrf_of(khac, url), "kind": "record"},
        files={"file": ("scan.pdf", b"plain text", "application/pdf")},
    )
    assert r.status_code == 422 and "The document must be a PDF or a JPEG, PNG or WebP image" in r.text
    with sessions() as s:
        assert len(s.scalars(select(DestructionDocument)).all()) == 1  # nothing refused was kept
    r = khac.post(
        f"/api/archival/destructions/{rid}/documents",
        data={"kind": "record"},
        files={"file": ("x.pdf", b"not a pdf", "application/pdf")},
        headers={"X-CSRF-Token": csrf_of(khac)},
    )
    assert r.status_code == 400 and "must be a PDF" in r.json()["detail"]


def test_fields_stay_valid_without_scans(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    """The steps' fields alone carry a destruction to its record; the scans are an addition."""
    rid = _review(sessions)
    with sessions() as s:
        from inventory.archival.settings import ArchivalSettings

        r = de.get_review(s, rid)
        m = de.add_member(s, r, "Trần Chủ Tịch", "chair", "khac")
        de.vote(s, r, m.id, True, "khac")
        de.record_appraisal(s, r, "Sở Nội vụ", "Đồng ý", date(2026, 1, 2), "khac")
        assert de.decide(s, r, "QĐ 1", date(2026, 1, 5), "Giám đốc", "khac", ArchivalSettings()) is not None
        assert dd.documents_of(s, r) == []
        s.commit()
    page = client_factory("khac").get(f"/archival/destructions/{rid}").text
    assert "Đã có quyết định hủy" in page and "Chưa đính kèm văn bản nào" in page
    assert '<option value="decision" selected>' in page  # the step's document is offered first


def test_attach_from_the_cli(migrated_url: str, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from inventory.errors import RegistryError
    from kho.cli import app
    from tests.archival.conftest import make_fonds, make_org

    with sessions() as s:
        make_fonds(s, "P02", "Phông Sở Tài chính", make_org(s, "STC", "Sở Tài chính"))
        files = [sv.FileIn(1, "Chứng từ thu chi năm 2014", date(2014, 1, 1), date(2014, 12, 31), 10, 60)]
        sv.create_box(s, sv.BoxIn("P02", 1, 1, files=files), "seed")
        code = de.open_review(s, "STC", 2025, "seed").code
        s.commit()
    env = {"KHO_DATABASE__URL": migrated_url, "KHO_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}
    scan, pdf = tmp_path / "bien-ban-huy.pdf", _pdf()
    scan.write_bytes(pdf)
    res = CliRunner().invoke(app, ["archival", "destruction", "attach", code, "record", str(scan)], env=env)
    assert res.exit_code == 0 and "bien-ban-huy.pdf attached: application/pdf" in res.output, res.output
    scan.write_text("not a scan")
    res = CliRunner().invoke(app, ["archival", "destruction", "attach", code, "record", str(scan)], env=env)
    assert isinstance(res.exception, RegistryError) and "must be a PDF" in str(res.exception)
    with sessions() as s:
        (doc,) = s.scalars(select(DestructionDocument)).all()
        assert doc.kind == "record" and doc.uploaded_by == "cli"
        assert (tmp_path / "state" / doc.stored).read_bytes() == pdf


def test_migration_i0012_up_down_up(db_url: str) -> None:
    kho_db.upgrade(db_url, "i0011")
    engine = make_engine(db_url)
    try:
        assert "destruction_documents" not in inspect(engine).get_table_names()
        kho_db.upgrade(db_url)
        engine.dispose()
        insp = inspect(engine)
        assert "destruction_documents" in insp.get_table_names()
        assert {ix["name"] for ix in insp.get_indexes("destruction_documents")} == {
            "ix_destruction_documents_review_id"
        }
        kho_db.downgrade(db_url, "i0011")
        engine.dispose()
        tables = set(inspect(engine).get_table_names())
        assert "destruction_documents" not in tables and "destruction_reviews" in tables
        kho_db.upgrade(db_url)
        engine.dispose()
        assert "destruction_documents" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
