"""In real Chromium on a phone (360×780): the session ends while a keeper moves a box; after logging in again the
move is offered and done with one tap; the account page ends every session. Screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.db import utcnow
from inventory.models import WebSession
from kho.asgi_thread import ThreadedServer
from kho.localservers import free_port
from tests.browser import chromium, fill_login, log_in
from tests.inventory.conftest import PASSWORD, World

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "security"


@pytest.fixture
def server(make_app: Callable[..., FastAPI]) -> Iterator[str]:
    srv = ThreadedServer(make_app(), "127.0.0.1", free_port(), lifespan="off")
    assert srv.start(20), "uvicorn did not start"
    yield srv.url
    srv.stop()


def test_ended_session_keeps_the_move_and_logout_everywhere(
    server: str, world: World, sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    shots = ARTIFACTS / request.node.callspec.params.get("db_url", "db")
    shots.mkdir(parents=True, exist_ok=True)
    box = world.box_ids["P12-ML3-H004"]
    with chromium() as browser:
        ctx = browser.new_context(
            viewport={"width": 360, "height": 780}, device_scale_factor=1, is_mobile=True, locale="vi-VN"
        )
        page = ctx.new_page()
        page.goto(f"{server}/box/{box}")
        fill_login(page, "keeper", PASSWORD)
        expect(page.locator("h1")).to_contain_text("P12-ML3-H004")
        # The phone lies in a pocket past the idle limit, then the keeper puts the box away.
        with sessions() as s:
            s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(days=1)))
            s.commit()
        page.fill("#act-move input[name=slot]", "K1-G01-T2-V03")
        page.click("#act-move form button[type=submit]")
        expect(page.locator(".flash-warn")).to_contain_text("Phiên đăng nhập đã hết hạn")
        assert page.input_value("input[name=username]") == ""
        page.screenshot(path=str(shots / "01-session-ended.png"), full_page=True)
        fill_login(page, "keeper", PASSWORD)
        expect(page.locator("h1")).to_have_text("Hoàn tất thao tác")
        expect(page.locator("main")).to_contain_text("K1-G01-T2-V03")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
        page.screenshot(path=str(shots / "02-resume.png"), full_page=True)
        with sessions() as s:
            assert sv.box_view(s, box).current is None, "not moved before the tap"
        page.click("main form button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("K1-G01-T2-V03")
        with sessions() as s:
            current = sv.box_view(s, box).current
            assert current is not None and current.code == "K1-G01-T2-V03"
        # A second phone, then "log out everywhere" from the account page.
        other = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True).new_page()
        log_in(other, server, "keeper", PASSWORD)
        page.click("header a[href='/account']")
        expect(page.locator("main li")).to_have_count(2)
        page.screenshot(path=str(shots / "03-account.png"), full_page=True)
        page.click("button.warn")
        expect(page.locator(".flash")).to_contain_text("Đã đăng xuất trên mọi thiết bị")
        page.screenshot(path=str(shots / "04-logged-out-everywhere.png"), full_page=True)
        other.goto(f"{server}/box/{box}")
        expect(other.locator("input[name=username]")).to_be_visible()
