"""HTTP API, the alerts page and the signed acknowledge link (expired, reused, forged)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from alerts import links, store
from alerts.models import Alert
from alerts.providers import OpenAlertsProvider
from inventory.auth import create_token
from inventory.db import session_scope
from kho.app import create_app
from kho.settings import Settings
from tests.alerts.conftest import T0, FakeClock, make_registry

SECRET = "api-test-secret"


def _firing_alert(sessions: sessionmaker[Session], room_id: int, rule: str = "smoke", device: str = "s1") -> int:
    now = datetime.fromtimestamp(T0, UTC)
    with session_scope(sessions) as s:
        a = Alert(
            open_key=store.open_key(rule, room_id, device),
            rule=rule,
            severity="critical",
            state="firing",
            site="HN",
            room="P1",
            room_id=room_id,
            device_id=device,
            value=1.0,
            details={},
            started_at=now,
            fired_at=now,
            notify_count=1,
            tier=1,
            acknowledged_by="",
            ack_comment="",
            resolve_notified=False,
        )
        s.add(a)
        s.flush()
        return a.id


@pytest.fixture
def api(migrated_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[dict[str, Any]]:
    settings = Settings(
        state_dir=tmp_path / "state",
        database={"url": migrated_url},  # type: ignore[arg-type]
        web={"secret_key": SECRET},
    )  # type: ignore[arg-type]
    app = create_app(settings, clock=clock)
    sessions = app.state.sessions
    room = make_registry(sessions)
    with session_scope(sessions) as s:
        tokens = {role: create_token(s, f"t-{role}", role) for role in ("viewer", "manager")}
    with TestClient(app) as client:
        yield {"client": client, "sessions": sessions, "room": room, "tokens": tokens, "clock": clock}
    app.state.engine.dispose()


def _auth(api: dict[str, Any], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api['tokens'][role]}"}


def test_list_and_ack_with_roles(api: dict[str, Any]) -> None:
    c: TestClient = api["client"]
    aid = _firing_alert(api["sessions"], api["room"].room_id)
    assert c.get("/api/alerts").status_code == 401
    r = c.get("/api/alerts?state=firing", headers=_auth(api, "viewer"))
    assert r.status_code == 200 and [a["id"] for a in r.json()] == [aid]
    assert c.get("/api/alerts?state=bogus", headers=_auth(api, "viewer")).status_code == 400
    assert c.post(f"/api/alerts/{aid}/ack", json={"comment": "x"}, headers=_auth(api, "viewer")).status_code == 403
    r = c.post(f"/api/alerts/{aid}/ack", json={"comment": "đã kiểm tra, báo động giả"}, headers=_auth(api, "manager"))
    assert r.status_code == 200
    assert r.json()["state"] == "acknowledged" and r.json()["acknowledged_by"] == "token:t-manager"
    assert c.post(f"/api/alerts/{aid}/ack", json={}, headers=_auth(api, "manager")).status_code == 409
    assert c.post("/api/alerts/999/ack", json={}, headers=_auth(api, "manager")).status_code == 404
    detail = c.get(f"/api/alerts/{aid}", headers=_auth(api, "viewer")).json()
    assert detail["history"][-1]["kind"] == "acknowledged"
    assert detail["history"][-1]["comment"] == "đã kiểm tra, báo động giả"
    assert c.get("/api/alerts?state=open", headers=_auth(api, "viewer")).json()[0]["state"] == "acknowledged"


def test_silences_crud(api: dict[str, Any]) -> None:
    c: TestClient = api["client"]
    body = {"site": "HN", "room": "P1", "minutes": 60, "reason": "bảo trì"}
    assert c.post("/api/silences", json=body, headers=_auth(api, "viewer")).status_code == 403
    r = c.post("/api/silences", json=body, headers=_auth(api, "manager"))
    assert r.status_code == 201
    sid = r.json()["id"]
    assert r.json()["author"] == "token:t-manager"
    assert [x["id"] for x in c.get("/api/silences", headers=_auth(api, "viewer")).json()] == [sid]
    assert c.post("/api/silences", json={"reason": "x"}, headers=_auth(api, "manager")).status_code == 400
    assert (
        c.post(
            "/api/silences", json={"room": "P1", "minutes": 5, "reason": "x"}, headers=_auth(api, "manager")
        ).status_code
        == 400
    )
    assert c.delete(f"/api/silences/{sid}", headers=_auth(api, "manager")).status_code == 200
    assert c.get("/api/silences", headers=_auth(api, "viewer")).json() == []
    assert len(c.get("/api/silences?all=true", headers=_auth(api, "viewer")).json()) == 1


def test_contacts_api(api: dict[str, Any]) -> None:
    c: TestClient = api["client"]
    r = c.post(
        "/api/alert-contacts",
        json={"name": "Lan", "site": "HN", "channel": "telegram", "address": "123", "tier": 2},
        headers=_auth(api, "manager"),
    )
    assert r.status_code == 201
    bad = c.post(
        "/api/alert-contacts", json={"name": "X", "channel": "pigeon", "address": "1"}, headers=_auth(api, "manager")
    )
    assert bad.status_code == 400 and "unknown channel" in bad.json()["detail"]
    assert [x["name"] for x in c.get("/api/alert-contacts", headers=_auth(api, "manager")).json()] == ["Lan"]


def test_signed_link_acknowledges_once(api: dict[str, Any]) -> None:
    c: TestClient = api["client"]
    aid = _firing_alert(api["sessions"], api["room"].room_id)
    token = links.make_token(SECRET, aid, "Nguyễn Văn A", T0 + 3600)
    page = c.get(f"/alerts/ack/{token}")
    assert page.status_code == 200 and "Xác nhận" in page.text and "<form" in page.text
    with api["sessions"]() as s:
        assert s.get(Alert, aid).state == "firing"  # opening the link does not acknowledge
    r = c.post(f"/alerts/ack/{token}", data={"comment": "đã xử lý"})
    assert r.status_code == 200 and "Đã xác nhận" in r.text
    with api["sessions"]() as s:
        a = s.get(Alert, aid)
        assert a.state == "acknowledged" and a.acknowledged_by == "Nguyễn Văn A" and a.ack_comment == "đã xử lý"
    again = c.post(f"/alerts/ack/{token}")
    assert again.status_code == 410 and "đã được dùng" in again.text


def test_expired_and_forged_links(api: dict[str, Any]) -> None:
    c: TestClient = api["client"]
    aid = _firing_alert(api["sessions"], api["room"].room_id)
    expired = links.make_token(SECRET, aid, "A", T0 + 60)
    api["clock"].advance(120)
    r = c.post(f"/alerts/ack/{expired}?lang=en")
    assert r.status_code == 410 and "expired" in r.text
    forged = links.make_token("another-secret", aid, "A", T0 + 3600)
    assert c.post(f"/alerts/ack/{forged}").status_code == 410
    assert c.get("/alerts/ack/not-a-token").status_code == 410
    with api["sessions"]() as s:
        assert s.get(Alert, aid).state == "firing"


def test_alerts_page_and_room_provider(api: dict[str, Any]) -> None:
    c: TestClient = api["client"]
    room_id = api["room"].room_id
    aid = _firing_alert(api["sessions"], room_id)
    r = c.get("/alerts", headers=_auth(api, "manager"))
    assert r.status_code == 200 and "KHÓI" in r.text and f'action="/alerts/{aid}/ack"' in r.text
    viewer = c.get("/alerts?lang=en", headers=_auth(api, "viewer"))
    assert viewer.status_code == 200 and "SMOKE" in viewer.text and "/ack" not in viewer.text
    r = c.post(f"/alerts/{aid}/ack", data={"comment": "ok"}, headers=_auth(api, "manager"), follow_redirects=False)
    assert r.status_code == 303
    assert isinstance(c.app.state.alerts_provider, OpenAlertsProvider)  # type: ignore[attr-defined]
    [row] = OpenAlertsProvider(api["sessions"]).open_for_room(room_id)
    assert row["id"] == aid and row["state"] == "acknowledged" and row["summary"].startswith("KHÓI")
    assert set(row) == {"id", "rule", "severity", "state", "device_id", "started_at", "summary"}
    assert OpenAlertsProvider(api["sessions"]).open_for_room(room_id + 1) == []
