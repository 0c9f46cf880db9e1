"""The archival JSON API and desk pages: due list, batch creation, scanning from both sides, close rules,
documents, role checks across organisations, Vietnamese first."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

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
    assert bad.status_code == 200 and "no box P01-ML1-H999" in bad.text and 'value="P01-ML1-H999"' in bad.text
    ok = giao.post(f"{url}/scan", data={"csrf": csrf_of(giao, url), "side": "out", "label": "P01-ML1-H001"})
    assert ok.status_code == 303
    assert "Hộp P01-ML1-H001: đã ghi nhận" in giao.get(url).text
    en = giao.get(url, params={"lang": "en"})
    assert "Scan out (sender)" in en.text and "Expected" in en.text
    assert client_factory("khac").get(url).status_code == 403
