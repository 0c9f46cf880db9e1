"""The keeper's phone flows in real Chromium (Playwright, 360×740): label → login → box, move, check out/return,
stocktake with one missing and one misplaced box, cleaning task done. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.db import utcnow
from kho.app import create_app
from kho.asgi_thread import ThreadedServer
from kho.localservers import free_port
from kho.settings import Settings
from tests.browser import chromium, fill_login, phone_page
from tests.inventory.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "inventory"


@pytest.fixture
def server(app_settings: Settings, world: World) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free port."""
    app = create_app(app_settings)
    srv = ThreadedServer(app, "127.0.0.1", free_port(), lifespan="off")
    assert srv.start(20), "uvicorn did not start"
    yield srv.url
    srv.stop(10)
    app.state.engine.dispose()


def _transferred(page: object) -> int:
    """Bytes of the current page and everything it loaded."""
    return int(
        page.evaluate(  # type: ignore[attr-defined]
            "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0)"
        )
    )


def test_keeper_flows_on_a_phone(
    server: str, world: World, sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    backend = request.node.callspec.params.get("db_url", "db")
    shots = ARTIFACTS / backend
    shots.mkdir(parents=True, exist_ok=True)
    with sessions() as s:
        box_token = sv.box_view(s, world.box_ids["P12-ML3-H001"]).token
        # H004 lives on shelf T2 (misplaced when found on T1); a cleaning task is due in the room
        sv.place_box(s, sv.get_box(s, "P12-ML3-H004"), "K1-G01-T2-V01", "seed")
        sch = sv.create_schedule(
            s, kind="dusting", recurrence="every 7d", actor="seed", site_code="HN", room_code="K1", assignee="keeper"
        )
        sv.ensure_task(s, sch.id, utcnow().replace(microsecond=0) - timedelta(hours=3))
        s.commit()

    with chromium() as browser:
        page = phone_page(browser, height=740)
        # 1. the phone's camera app opens the label URL: login first, then the box page
        page.goto(f"{server}/s/{box_token}")
        expect(page.locator("input[name=username]")).to_be_visible()
        page.screenshot(path=str(shots / "01-login.png"))
        fill_login(page, "keeper", PASSWORD)
        expect(page.locator("h1")).to_contain_text("P12-ML3-H001")
        expect(page.locator("#now-at")).to_contain_text("K1-G01-T1-V01")
        assert _transferred(page) <= 100 * 1024
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
        page.screenshot(path=str(shots / "02-box.png"), full_page=True)

        # 2. move it: type (or scan) the target slot
        page.fill("#act-move input[name=slot]", "K1-G01-T2-V02")
        page.click("#act-move form button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("K1-G01-T2-V02")
        expect(page.locator("#now-at")).to_contain_text("K1-G01-T2-V02")
        page.screenshot(path=str(shots / "03-moved.png"), full_page=True)

        # 3. check out to the reading room, then return (back to its home slot)
        page.click("#act-checkout summary")
        page.fill("#act-checkout input[name=custodian]", "Nguyễn Văn An")
        page.click("#act-checkout button[type=submit]")
        expect(page.locator("#status")).to_have_text("Đang cho mượn")
        page.screenshot(path=str(shots / "04-checked-out.png"), full_page=True)
        page.click("#act-return button")
        expect(page.locator("#status")).to_have_text("Trên giá")
        expect(page.locator("#now-at")).to_contain_text("K1-G01-T1-V01")
        page.screenshot(path=str(shots / "05-returned.png"), full_page=True)

        # 4. stocktake of shelf T1: H003 not scanned (missing), H004 belongs on T2 (misplaced)
        page.goto(f"{server}/shelf/{world.shelf_ids['K1-G01-T1']}")
        page.click("#start-stocktake button")
        for code in ("P12-ML3-H001", "P12-ML3-H002", "P12-ML3-H004"):
            page.fill("#scan-form input[name=label]", code)
            page.click("#scan-form button[type=submit]")
            expect(page.locator("#result")).to_contain_text(code)
        expect(page.locator("#missing")).to_contain_text("P12-ML3-H003")
        expect(page.locator("#misplaced")).to_contain_text("P12-ML3-H004")
        expect(page.locator("#misplaced")).to_contain_text("K1-G01-T2-V01")
        page.screenshot(path=str(shots / "06-stocktake.png"), full_page=True)
        page.click("#confirm button")
        expect(page.locator(".flash")).to_contain_text("Đã xác nhận")
        page.goto(f"{server}/box/{world.box_ids['P12-ML3-H003']}")
        expect(page.locator("#status")).to_have_text("Thất lạc")

        # 5. room page: the due cleaning task, mark it done
        page.goto(f"{server}/room/{world.room_id}")
        expect(page.locator("#climate")).to_contain_text("không có dữ liệu")
        expect(page.locator("#tasks")).to_contain_text("Lau bụi")
        assert _transferred(page) <= 100 * 1024
        page.screenshot(path=str(shots / "07-room.png"), full_page=True)
        page.click("#tasks button[type=submit]")
        expect(page.locator("#tasks")).to_contain_text("Không có việc")
        page.screenshot(path=str(shots / "08-task-done.png"), full_page=True)

        # English on request
        page.goto(f"{server}/box/{world.box_ids['P12-ML3-H001']}?lang=en")
        expect(page.locator("#status")).to_have_text("In place")
    assert len(list(shots.glob("*.png"))) == 8
