"""The wall display in real Chromium at 1920×1080 against real Mosquitto, collector and influxd: tiles change
colour when a room leaves its band, smoke turns a tile red within 2 s of the reading, a stopped influxd shows the
stale warning over the last values. Screenshots go to test-artifacts/wall/."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from collector.service import Collector
from kho.localservers import ManagedServer
from tests.browser import chromium
from tests.collector.conftest import Publisher
from tests.conftest import wait_for
from tests.wall.conftest import Wall

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "wall"


def _send(pub: Publisher, device: str, **fields: Any) -> None:
    pub.publish(f"kho/{device}/telemetry", orjson.dumps({"ts": int(time.time() * 1000), **fields}))


def _bg(page: Any, selector: str) -> tuple[int, int, int]:
    rgb = page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")
    r, g, b = (int(x) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return r, g, b


def _red(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return r > 150 and g < 60 and b < 60


def test_wall_tiles_follow_the_readings(
    wall: Wall,
    mosquitto: ManagedServer,
    make_collector: Callable[..., Collector],
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    make_collector(mosquitto.port, wall.influx, wall.sessions)
    pub = Publisher(mosquitto.port)
    try:
        _send(pub, "qt-p1", temperature_c=20.0, humidity_pct=50.0, smoke=False)
        _send(pub, "qt-f1", temperature_c=12.0, humidity_pct=40.0)
        pub.wait_acked(2)
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{wall.url}/wall/QT?token={wall.secret}")
            p1, f1 = page.locator("#tile-P1"), page.locator("#tile-F1")
            expect(p1).to_have_attribute("data-level", "ok", timeout=10_000)
            expect(f1).to_have_attribute("data-level", "ok")
            expect(f1.locator(".v.t")).to_have_text("12.0")
            expect(p1.locator(".v.rh")).to_have_text("50")
            expect(p1).to_have_attribute("data-stale", "false")
            green = _bg(page, "#tile-F1")
            # readable from 3 m: the temperature digits are at least 10 % of the screen's height
            height = page.eval_on_selector("#tile-F1 .v.t", "el => el.getBoundingClientRect().height")
            assert height >= 100, height
            page.screenshot(path=str(ARTIFACTS / "01-wall-ok.png"))

            # the photo store goes above its 8–16 °C target: its tile changes colour without a reload
            page.evaluate("window.__same = document.getElementById('tile-F1')")
            _send(pub, "qt-f1", temperature_c=17.8, humidity_pct=40.0)
            expect(f1).to_have_attribute("data-level", "warn", timeout=5_000)
            expect(f1.locator(".v.t")).to_have_text("17.8")
            # the colour changes within its 0.4 s transition
            wait_for(lambda: _bg(page, "#tile-F1") != green, 0.6, "the warm tile kept its colour")
            assert page.evaluate("window.__same === document.getElementById('tile-F1')"), "the page was reloaded"

            # smoke: red within 2 s of the reading
            t0 = time.monotonic()
            _send(pub, "qt-p1", temperature_c=20.5, humidity_pct=50.0, smoke=True)
            expect(p1).to_have_attribute("data-level", "smoke", timeout=2_000)
            elapsed = time.monotonic() - t0
            assert elapsed < 2.0, elapsed
            # red within 600 ms: the 0.4 s transition, then the pulse animation runs between two reds
            wait_for(lambda: _red(_bg(page, "#tile-P1")), 0.6, lambda: f"the smoke tile is {_bg(page, '#tile-P1')}")
            expect(p1.locator(".smoke")).to_contain_text("KHÓI")
            page.screenshot(path=str(ARTIFACTS / "02-wall-smoke.png"))

            # InfluxDB down: the last values stay on screen, with the stale warning
            wall.influxd.stop()
            expect(page.locator("#wall-status")).to_contain_text("Mất kết nối", timeout=10_000)
            expect(f1).to_have_attribute("data-stale", "true")
            expect(f1.locator(".stale-b")).to_be_visible()
            expect(f1.locator(".v.t")).to_have_text("17.8")
            # a fresh page load during the outage still shows the last values
            page.reload()
            expect(page.locator("#tile-F1 .v.t")).to_have_text("17.8")
            expect(page.locator("#wall-status")).to_contain_text("Mất kết nối")
            page.screenshot(path=str(ARTIFACTS / "03-wall-influx-down.png"))
    finally:
        pub.close()


def test_wall_link_opens_its_wall_and_nothing_else(wall: Wall) -> None:
    import httpx

    from dashboards.wall import links
    from inventory.db import session_scope

    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=10) as c:
        tok = {"token": wall.secret}
        assert c.get("/wall/QT", params=tok).status_code == 200
        data = c.get("/wall/QT/data", params=tok)
        assert data.status_code == 200 and [r["code"] for r in data.json()["rooms"]] == ["F1", "P1"]
        r = c.get("/wall", params=tok)
        assert r.status_code == 303 and r.headers["location"].startswith("/wall/QT?token=")
        assert "set-cookie" not in r.headers and "set-cookie" not in c.get("/wall/QT", params=tok).headers
        assert c.get("/wall/HN", params=tok).status_code == 403  # another site's wall
        assert c.get("/wall/HN/data", params=tok).status_code == 403
        for path in ("/", f"/room/{wall.paper_id}", "/alerts", "/wall-links", "/search"):
            r = c.get(path, params=tok)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        for path in ("/api/rooms", "/api/alerts", "/api/boxes"):
            r = c.get(path, headers={"Authorization": f"Bearer {wall.secret}"})
            assert r.status_code in (401, 404) and r.status_code != 200, path
        assert c.get("/api/alerts", headers={"Authorization": f"Bearer {wall.secret}"}).status_code == 401
        assert c.get("/wall/QT").status_code == 303  # no token, no login
        with session_scope(wall.sessions) as s:
            [link] = links.list_links(s)
            assert link.last_used_at is not None
            links.revoke_link(s, link.id)
        assert c.get("/wall/QT", params=tok).status_code == 403
        assert c.get("/wall/QT/data", params=tok).status_code == 403
