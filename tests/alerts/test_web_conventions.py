"""The alerts router answers errors the same whichever router the app mounts first (kho.app owns them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts import api as alerts_api
from alerts import pages as alerts_pages
from collector import api as collector_api
from inventory import web as inventory_web
from inventory.auth import create_token
from inventory.db import session_scope
from kho import app as kho_app
from kho import db as kho_db
from kho.settings import Settings


@pytest.mark.parametrize(
    "order",
    [
        [alerts_api, alerts_pages, collector_api, inventory_web],
        [inventory_web, alerts_pages, alerts_api, collector_api],
    ],
    ids=["alerts-first", "inventory-first"],
)
def test_alerts_errors_do_not_depend_on_router_order(sqlite_url: str, tmp_path: Path, monkeypatch, order) -> None:
    kho_db.upgrade(sqlite_url)
    monkeypatch.setattr(kho_app, "ROUTERS", order)
    settings = Settings(
        state_dir=tmp_path / "state",
        database={"url": sqlite_url},  # type: ignore[arg-type]
        web={"secret_key": "conventions"},
    )  # type: ignore[arg-type]
    app = kho_app.create_app(settings)
    with session_scope(app.state.sessions) as s:
        token = create_token(s, "ops", "manager")
    with TestClient(app) as client:
        anon = client.get("/api/alerts")
        assert anon.status_code == 401 and "detail" in anon.json()
        assert anon.headers["www-authenticate"] == "Bearer"
        auth = {"Authorization": f"Bearer {token}"}
        bad = client.post("/api/alert-contacts", json={"name": "X", "channel": "fax", "address": "1"}, headers=auth)
        assert bad.status_code == 400 and "unknown channel 'fax'" in bad.json()["detail"]
        page = client.get("/alerts", follow_redirects=False)  # a page sends a browser to the login form
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
