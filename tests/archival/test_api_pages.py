"""The archival JSON API and desk pages: due list, batch creation, scanning from both sides, close rules,
documents, role checks across organisations, Vietnamese first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from tests.archival.conftest import BOXES, csrf_of

Clients = Callable[[str | None], TestClient]


def _api(c: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(c)}


def test_transfer_through_the_api(client_factory: Clients) -> None:
    giao, nhan, khac = client_factory("giao"), client_factory("nhan"), client_factory("khac")
    r = giao.get("/api/archival/due", params={"org": "SNV", "year": 2021})
    assert r.status_code == 200 and r.json()["summary"]["files"] == BOXES  # 2015 + 1 + 5 = 2021
    assert all(f["overdue"] and f["due_year"] == 2021 for f in r.json()["files"])
    r = khac.post(
        "/api/archival/batches", json={"sender": "SNV", "receiver": "LTLS", "fonds": "P01"}, headers=_api(khac)
    )
    assert r.status_code == 403 and "only staff of" in r.json()["detail"]
    r = giao.post(
        "/api/archival/batches",
        json={"sender": "SNV", "receiver": "LTLS", "fonds": "P01", "title": "Tài liệu Sở Nội vụ 2015"},
        headers=_api(giao),
    )
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["counts"]["expected"] == BOXES and r.json()["totals"]["metres"] == 1.5
    assert khac.get(f"/api/archival/batches/{code}").status_code == 403  # not a party
    r = giao.post(
        "/api/archival/batches", json={"sender": "SNV", "receiver": "LTLS", "due_year": 2021}, headers=_api(giao)
    )
    assert r.status_code == 409 and "already in open batch" in r.json()["detail"]  # a box is in one batch at a time
    r = giao.post(
        "/api/archival/batches", json={"sender": "SNV", "receiver": "LTLS", "due_year": 2020}, headers=_api(giao)
    )
    assert r.status_code == 201 and r.json()["counts"]["expected"] == 0  # nothing due by 2020
    codes = [f"P01-ML1-H{i:03d}" for i in range(1, BOXES + 1)]
    r = nhan.post(f"/api/archival/batches/{code}/scan", json={"side": "out", "codes": codes}, headers=_api(nhan))
    assert r.status_code == 403
    r = giao.post(f"/api/archival/batches/{code}/scan", json={"side": "out", "codes": codes}, headers=_api(giao))
    assert r.json()["scans"] == {"ok": BOXES, "again": 0, "unexpected": 0}
    r = nhan.post(
        f"/api/archival/batches/{code}/scan",
        json={"side": "in", "codes": [*codes[:-1], "P02-ML1-H001"]},
        headers=_api(nhan),
    )
    assert r.json()["scans"] == {"ok": BOXES - 1, "again": 0, "unexpected": 1}
    r = nhan.post(f"/api/archival/batches/{code}/close", headers=_api(nhan))
    assert r.status_code == 409 and codes[-1] in r.json()["detail"] and "P02-ML1-H001" in r.json()["detail"]
    r = nhan.post(
        f"/api/archival/batches/{code}/unexpected", json={"box": "P02-ML1-H001", "accept": True}, headers=_api(nhan)
    )
    assert r.status_code == 409  # another organisation's box cannot join
    nhan.post(
        f"/api/archival/batches/{code}/unexpected", json={"box": "P02-ML1-H001", "accept": False}, headers=_api(nhan)
    )
    r = nhan.post(
        f"/api/archival/batches/{code}/scan",
        json={"side": "in", "codes": [codes[-1]], "slot": "K2-G01-T1-V01"},
        headers=_api(nhan),
    )
    assert r.json()["batch"]["can_close"] is True
    r = giao.patch(
        f"/api/archival/batches/{code}",
        json={"values": {"request_code": "YC-2026-17", "files_registered": 12, "files_approved": 12, "rounds": 1}},
        headers=_api(giao),
    )
    assert r.json()["digital"]["request_code"] == "YC-2026-17"
    r = nhan.post(f"/api/archival/batches/{code}/close", headers=_api(nhan))
    assert r.status_code == 200 and r.json()["state"] == "closed"
    pdf = nhan.get(f"/api/archival/batches/{code}/bien-ban.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert nhan.get(f"/api/archival/batches/{code}/nonsense.doc").status_code == 404
    # handed over: the historical archive has no transfer duty for them, the sender none either
    assert giao.get("/api/archival/due", params={"org": "SNV", "year": 2030}).json()["summary"]["files"] == 0


def test_pages_in_vietnamese_first(client_factory: Clients) -> None:
    giao = client_factory("giao")
    page = giao.get("/archival")
    assert page.status_code == 200 and "Giao nộp và bàn giao tài liệu" in page.text
    due = giao.get("/archival/due", params={"org": "SNV", "year": 2021})
    assert "Quá hạn: 12" in due.text and "P01-ML1-H001" in due.text
    r = giao.post(
        "/archival/batches",
        data={"csrf": csrf_of(giao), "sender": "SNV", "receiver": "LTLS", "fonds": "P01", "title": "Lô thử"},
    )
    assert r.status_code == 303
    url = r.headers["location"]
    page = giao.get(url)
    assert "Đã thêm 12 hộp" in page.text and "Theo danh sách" in page.text
    # a wrong code: a message in Vietnamese words around the service's, the typed code kept, no traceback
    bad = giao.post(f"{url}/scan", data={"csrf": csrf_of(giao, url), "side": "out", "label": "P01-ML1-H999"})
    assert bad.status_code == 200 and "Không có hộp P01-ML1-H999" in bad.text and 'value="P01-ML1-H999"' in bad.text
    ok = giao.post(f"{url}/scan", data={"csrf": csrf_of(giao, url), "side": "out", "label": "P01-ML1-H001"})
    assert ok.status_code == 303
    assert "Hộp P01-ML1-H001: đã ghi nhận" in giao.get(url).text
    r = giao.post(
        f"{url}/details",
        data={
            "csrf": csrf_of(giao, url),
            "sender_rep": "Nguyễn Thị Hằng",
            "request_code": "YC-7",
            "files_registered": "12",
        },
    )
    page = giao.get(url).text
    assert r.status_code == 303 and 'value="Nguyễn Thị Hằng"' in page and 'value="YC-7"' in page
    giao.post(f"{url}/details", data={"csrf": csrf_of(giao, url), "rounds": "hai"})
    assert "Số không hợp lệ" in giao.get(url).text
    en = giao.get(url, params={"lang": "en"})
    assert "Scan out (sender)" in en.text and "Expected" in en.text
    en = giao.post(f"{url}/scan", data={"csrf": csrf_of(giao, url), "side": "out", "label": "P01-ML1-H999"})
    assert "no box P01-ML1-H999" in en.text  # English once chosen
    assert client_factory("khac").get(url).status_code == 403


def test_destruction_through_the_pages(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        files = [sv.FileIn(1, "Chứng từ thu chi năm 2014", date(2014, 1, 1), date(2014, 12, 31), 10, 60)]
        sv.create_box(s, sv.BoxIn("P02", 1, 2, files=files), "seed")
        s.commit()
    khac, giao = client_factory("khac"), client_factory("giao")
    r = khac.post("/archival/destructions", data={"csrf": csrf_of(khac), "org": "STC", "year": "2025"})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = khac.get(url)
    assert "Chứng từ thu chi năm 2014" in page.text and "Hội đồng đang xem xét" in page.text
    assert giao.get(url).status_code == 403  # another organisation's destruction file

    def step(**data: str) -> str:
        resp = khac.post(f"{url}/step", data={"csrf": csrf_of(khac, url), **data})
        assert resp.status_code == 303
        return khac.get(url).text

    for name, role in (("Trần Chủ Tịch", "chair"), ("Lê Thư Ký", "secretary"), ("Phạm Chuyên Gia", "expert")):
        step(step="member", name=name, role=role)
    page = step(step="decide", number="QĐ 1", by="GĐ", on="2026-01-05")
    assert "Còn 3 thành viên hội đồng chưa biểu quyết" in page
    with sessions() as s:
        from inventory.archival import destruction as de

        ids = [m.id for m in de.get_review(s, int(url.rsplit("/", 1)[1])).members]
    step(step="vote", member_id=str(ids[0]), approve="1")
    step(step="vote", member_id=str(ids[1]), approve="1")
    page = step(step="vote", member_id=str(ids[2]), approve="0", dissent="Nên giữ thêm 5 năm")
    assert "Đồng ý 2/3 · Không đồng ý 1" in page and "Nên giữ thêm 5 năm" in page
    step(step="appraisal", by="Sở Nội vụ", opinion="Đồng ý", on="2026-01-02")
    assert "Ngày không hợp lệ" in step(step="decide", number="QĐ 1", by="GĐ", on="05/01/2026")
    today = date.today()
    page = step(step="decide", number="QĐ 12/QĐ-STC", by="Giám đốc", on=(today - timedelta(days=12)).isoformat())
    assert "Đã có quyết định hủy" in page and "còn 3 ngày" in page  # warned before the 15 days run out
    assert "còn 3 ngày" in khac.get("/archival").text
    step(step="handover", name="Công ty Môi trường", on=today.isoformat())
    page = step(step="record", number="BB 1", on=(today + timedelta(days=4)).isoformat())
    assert "Đã hủy" in page and "ký sau thời hạn" in page
    pdf = khac.get(f"{url}/record.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api = khac.get(f"/api/archival/destructions/{url.rsplit('/', 1)[1]}").json()
    assert api["record"]["late"] is True and api["council"]["majority"] is True


def test_import_a_batch_file_through_the_page_and_api(client_factory: Clients, sessions: sessionmaker[Session]) -> None:
    import io

    from openpyxl import load_workbook

    with sessions() as s:
        from tests.archival.conftest import make_org

        make_org(s, "UBX", "UBND xã Gio Linh", "commune")
        s.commit()
    nhan = client_factory("nhan")
    giao = client_factory("giao")
    r = giao.post(
        "/api/archival/batches", json={"sender": "SNV", "receiver": "LTLS", "fonds": "P01"}, headers=_api(giao)
    )
    xlsx = giao.get(f"/api/archival/batches/{r.json()['code']}/muc-luc.xlsx").content
    wb = load_workbook(io.BytesIO(xlsx))
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=4):
            row[0].value = "X09"
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("muc-luc.xlsx", buf.getvalue(), "application/octet-stream")}
    r = nhan.post(
        "/archival/batches/import",
        data={"csrf": csrf_of(nhan), "sender": "UBX", "receiver": "LTLS", "title": "Tài liệu xã"},
        files=files,
    )
    assert r.status_code == 303 and "/archival/batches/" in r.headers["location"]
    page = nhan.get(r.headers["location"]).text
    assert "UBND xã Gio Linh" in page and "Đã quét giao" in page
    r = nhan.post(
        "/api/archival/batches/import",
        data={"sender": "UBX", "receiver": "LTLS"},
        files={"file": ("x.xlsx", b"not a workbook", "application/octet-stream")},
        headers=_api(nhan),
    )
    assert r.status_code == 400 and "not an XLSX" in r.json()["detail"]
    r = nhan.post("/archival/batches/import", data={"csrf": csrf_of(nhan), "sender": "UBX", "receiver": "LTLS"})
    assert r.status_code == 303 and "Hãy chọn tệp" in nhan.get("/archival").text


def test_retention_table_through_the_api(client_factory: Clients) -> None:
    tinh, giao = client_factory("tinh"), client_factory("giao")
    csv_data = "Mã,Tên,Thời hạn\n1.5,Sổ đăng ký văn bản đi,20 năm\n".encode()
    r = tinh.post(
        "/api/archival/retention",
        data={"table": "TT 10/2022"},
        files={"file": ("bang.csv", csv_data, "text/csv")},
        headers=_api(tinh),
    )
    assert r.status_code == 201 and r.json() == {"rules": 1}
    assert tinh.get("/api/archival/retention", params={"table": "TT 10/2022"}).json()[0]["years"] == 20
    r = giao.post(
        "/api/archival/retention/apply",
        json={"box": "P01-ML1-H001", "file": 1, "table": "TT 10/2022", "code": "1.5"},
        headers=_api(giao),
    )
    assert r.json() == {"retention_years": 20}
    # 2015 + 20: not expired yet, and no longer due in the historical archive (not permanent)
    due = giao.get("/api/archival/due", params={"org": "SNV", "year": 2021}).json()
    assert "P01-ML1-H001" not in {f["box_code"] for f in due["files"]} and due["summary"]["files"] == BOXES - 1


def test_reorganisation_through_the_pages(client_factory: Clients) -> None:
    tinh = client_factory("tinh")
    form = {"csrf": csrf_of(tinh), "decision": "Quyết định 77/QĐ-UBND", "decided_on": "2025-07-01", "kind": "sap_nhap"}
    r = tinh.post("/archival/reorganisations", data={**form, "decided_on": "01/07/2025", "ended": "STC"})
    assert r.status_code == 303 and "Ngày không hợp lệ" in tinh.get("/archival").text
    r = tinh.post(
        "/archival/reorganisations", data={**form, "csrf": csrf_of(tinh), "ended": ["STC"], "receiving": ["SNV"]}
    )
    assert r.status_code == 303
    url = r.headers["location"]
    page = tinh.get(url).text
    assert "Quyết định 77/QĐ-UBND" in page and "Sáp nhập" in page and "Phông đã khóa" in page
    assert "Trước: 1 hộp · Hiện nay: 1 hộp" in page and "Chưa hoàn tất" in page
    r = tinh.post(f"{url}/handover", data={"csrf": csrf_of(tinh, url), "merger_receiver": "SNV"})
    assert r.status_code == 303
    page = tinh.get(url).text
    assert "Sở Tài chính → Sở Nội vụ · 1 hộp" in page
    assert "Quyết định 77/QĐ-UBND" in tinh.get("/archival").text
    # the closed fonds refuses a new box through the JSON API too
    r = tinh.post("/api/inventory/boxes", json={"fonds": "P02", "catalogue": 1, "number": 9}, headers=_api(tinh))
    assert r.status_code == 409 and "is closed since 01/07/2025" in r.json()["detail"]
