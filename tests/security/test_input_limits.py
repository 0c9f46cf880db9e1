"""Every input has a type, range and length: a clear 4xx with a message, never a 500 (API) and never a raw JSON
error on a page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.limits import INT_MAX, NOTE_MAX
from tests.inventory.conftest import World, csrf_of

Client = Callable[..., TestClient]
API = "/api/inventory"
BIG = str(2**63)


@pytest.fixture
def admin(make_app: Callable[..., FastAPI], client_of: Client, world: World) -> TestClient:
    c = client_of(make_app(), "admin", raise_server_exceptions=False)
    c.headers["X-CSRF-Token"] = csrf_of(c)
    return c


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"{API}/rooms/{BIG}", None),
        ("GET", f"{API}/stocktakes/{BIG}", None),
        ("POST", f"{API}/tasks/{BIG}/done", {}),
        ("GET", f"/api/alerts/{BIG}", None),
        ("GET", f"/api/alerts?room_id={BIG}", None),
        ("DELETE", f"/api/silences/{BIG}", None),
        ("GET", f"{API}/boxes/P12-ML3-H001/events?limit=-5", None),
        ("GET", f"{API}/search?limit=100000", None),
        ("POST", f"{API}/boxes/P12-ML3-H001/place", {"slot": "K1-G01-T1-V03", "version": 2**63}),
        ("POST", f"{API}/boxes", {"fonds": "P12", "catalogue": 3, "number": 2**63}),
        ("POST", f"{API}/boxes", {"fonds": "P12", "catalogue": 3, "number": 9, "width_m": "NaN"}),
        ("POST", f"{API}/boxes", {"fonds": "P12", "catalogue": 3, "number": 9, "width_m": 1e308}),
        ("POST", f"{API}/shelving", {"site": "HN", "room": "K1", "number": 5, "shelves": 10**6}),
        ("POST", f"{API}/schedules", {"kind": "dusting", "recurrence": "every 7d", "starts_at": "2026-01-05T08:00:00"}),
        ("POST", "/api/silences", {"reason": "bảo trì", "ends_at": "2026-12-30T08:00:00"}),
        ("POST", f"{API}/boxes/P12-ML3-H001/cleaned", {"note": "x" * (NOTE_MAX + 1)}),
        ("POST", f"{API}/boxes/P12-ML3-H001/cleaned", {"note": "x" * 1_000_000}),
        ("POST", f"{API}/fonds", {"code": "P99", "name": "n" * 10_000}),
    ],
)
def test_api_refuses_out_of_range_input_with_a_4xx(
    admin: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    r = admin.request(method, path, json=body)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.json()["detail"], "a message says what is wrong"


def test_lone_surrogates_and_ascii_lookalike_digits(admin: TestClient) -> None:
    raw = b'{"note": "bad \\ud800 text"}'
    r = admin.post(f"{API}/boxes/P12-ML3-H001/cleaned", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "note"]
    r = admin.post(
        f"{API}/fonds", content=b'{"code": "\\udfff", "name": "x"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    # "²" is a digit to str.isdigit(), not an id: an unknown box, not a crash.
    assert admin.get(f"{API}/boxes/%C2%B2/events").status_code == 404
    assert admin.get(f"{API}/boxes/{INT_MAX + 1}").status_code == 404


def test_pages_answer_bad_input_with_a_page(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_of(make_app(), "keeper", raise_server_exceptions=False)
    tok = csrf_of(c)
    box = world.box_ids["P12-ML3-H001"]
    for r in (
        c.get(f"/box/{BIG}"),
        c.get("/room/abc"),
        c.get("/search?q=" + "đất " * 100),
        c.post(f"/box/{box}/cleaned", data={"csrf": tok, "version": BIG}),
        c.post(f"/box/{box}/damage", data={"csrf": tok, "kind": "water", "note": "x" * 1_000_000}),
        c.post(f"/slot/{world.slot_ids['K1-G01-T1-V03']}/place", data={"csrf": tok, "box": BIG}),
    ):
        # 422 for a URL or query parameter of the wrong type or length, 400 for a form field over its limit
        assert r.status_code in (400, 422), (r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html") and "<!doctype html>" in r.text
        assert '"detail"' not in r.text
    r = c.post(f"/box/{box}/damage", data={"csrf": tok, "kind": "water", "note": "x" * 1_000_000})
    assert "note: at most 2000 characters" in r.text
    with sessions() as s:
        kinds = [e.kind for e in sv.box_view(s, box).events]
    assert "damaged" not in kinds and "cleaned" not in kinds, "the refused forms changed nothing"


def test_oversized_request_is_refused_before_it_is_read(admin: TestClient) -> None:
    from inventory.limits import REQUEST_MAX_BYTES

    body = b"{" + b" " * (REQUEST_MAX_BYTES + 10) + b"}"
    r = admin.post(f"{API}/fonds", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_acknowledge_link_page_bounds_its_comment(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    c = client_of(make_app(), raise_server_exceptions=False)
    r = c.post("/alerts/ack/any-token", data={"comment": "x" * 1_000_000})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "comment" in r.text and '"detail"' not in r.text
    assert c.get("/alerts/ack/" + "t" * 2000).status_code == 422
