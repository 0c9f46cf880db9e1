"""The alerts pages in real Chromium at 360×780: header count, cards with translated and distinct states, room
names and local dates, acknowledge with comment after a confirmation step, silences and contacts with a test
message to a real local webhook. Screenshots go to test-artifacts/alerts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.models import Alert, Silence
from inventory.db import session_scope
from tests.alerts.conftest import HttpReceiver
from tests.browser import chromium, log_in
from tests.inventory.conftest import login
from tests.wall.conftest import PASSWORD, Wall, fast_password_hashing, wall  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "alerts"


def _alert(
    sessions: sessionmaker[Session],
    room_id: int,
    room: str,
    rule: str,
    severity: str,
    state: str,
    minutes_ago: float,
    **kw: object,
) -> int:
    started = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with session_scope(sessions) as s:
        a = Alert(
            open_key=store.open_key(rule, room_id, "qt-f1") if state != "resolved" else None,
            rule=rule,
            severity=severity,
            state=state,
            site="QT",
            room=room,
            room_id=room_id,
            device_id="qt-f1",
            details=kw.pop("details", {}),
            started_at=started,
            fired_at=started if state != "pending" else None,
            **kw,
        )
        s.add(a)
        s.flush()
        return a.id


def test_alerts_pages_on_a_phone(wall: Wall, webhook: HttpReceiver) -> None:  # noqa: F811 (fixture)
    from playwright.sync_api import expect

    smoke = _alert(wall.sessions, wall.photo_id, "F1", "smoke", "critical", "firing", 4, details={"binary": True})
    pending = _alert(
        wall.sessions, wall.paper_id, "P1", "temperature", "warning", "pending", 3, value=23.4, limit_value=22
    )
    acked = _alert(
        wall.sessions,
        wall.photo_id,
        "F1",
        "humidity",
        "warning",
        "acknowledged",
        90,
        value=57,
        limit_value=50,
        acknowledged_by="thukho",
        acknowledged_at=datetime.now(UTC),
        ack_comment="đã bật máy hút ẩm",
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 780})
        log_in(page, wall.url, "manager", PASSWORD)
        link = page.locator("#alerts-link")
        expect(link).to_contain_text("3")
        link.click()
        page.wait_for_url("**/alerts")
        cards = page.locator("article.acard")
        expect(cards).to_have_count(3)
        assert [cards.nth(i).get_attribute("data-state") for i in range(3)] == ["firing", "pending", "acknowledged"]
        fire, pend, ack = (page.locator(f"#alert-{i}") for i in (smoke, pending, acked))
        expect(fire).to_contain_text("Nghiêm trọng")
        expect(fire).to_contain_text("Đang báo động")
        expect(fire).to_contain_text("Kho ảnh, phim")
        expect(fire).to_contain_text("đầu báo khói đang báo động")
        expect(pend).to_contain_text("báo sau 12 phút nữa")
        expect(pend).to_contain_text("23.4 °C")
        expect(pend).to_contain_text("Kho giấy 1")
        expect(ack).to_contain_text("Đã xác nhận bởi thukho")
        expect(ack).to_contain_text("đã bật máy hút ẩm")
        local = datetime.now(UTC).astimezone().strftime("%d/%m/%Y")
        assert local[:2].isdigit()
        # the three states look different: border colour or style, and the state badge
        styles = {
            page.eval_on_selector(
                f"#alert-{i}", "e => getComputedStyle(e).borderLeftColor + getComputedStyle(e).borderLeftStyle"
            )
            for i in (smoke, pending, acked)
        }
        assert len(styles) == 3, styles
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert (
            "warning" not in page.locator("#alert-list").inner_text()
            and "critical" not in page.locator("#alert-list").inner_text()
        )
        page.screenshot(path=str(ARTIFACTS / "01-alerts.png"), full_page=True)

        # acknowledge: open, write a comment, confirm
        fire.locator("summary").click()
        fire.locator("textarea[name=comment]").fill("kiểm tra xong, báo động giả")
        page.screenshot(path=str(ARTIFACTS / "02-ack-confirm.png"), full_page=True)
        box = fire.locator("button.warn").bounding_box()
        assert box and box["x"] + box["width"] <= 360
        fire.locator("button.warn").click()
        expect(page.locator(".flash")).to_contain_text("Đã xác nhận cảnh báo")
        expect(page.locator(f"#alert-{smoke}")).to_have_attribute("data-state", "acknowledged")
        expect(page.locator(f"#alert-{smoke}")).to_contain_text("Đã xác nhận bởi manager")
        expect(page.locator(f"#alert-{smoke}")).to_contain_text("kiểm tra xong, báo động giả")
        page.goto(f"{wall.url}/alerts?lang=en")
        expect(page.locator(f"#alert-{smoke}")).to_contain_text("Acknowledged by manager")
        expect(page.locator(f"#alert-{pending}")).to_contain_text("fires in 12 more minutes")
        expect(page.locator(f"#alert-{smoke}")).to_contain_text("Critical")
        page.goto(f"{wall.url}/alerts?lang=vi")

        # silences
        page.click("text=Tạm tắt thông báo")
        page.select_option("select[name=where]", "QT/F1")
        page.select_option("select[name=rule]", "humidity")
        page.select_option("select[name=minutes]", "120")
        page.fill("input[name=reason]", "bảo trì máy hút ẩm")
        page.click("#new-silence button[type=submit]")
        expect(page.locator(".flash")).to_be_visible()
        expect(page.locator("#silences")).to_contain_text("Kho lưu trữ tỉnh Quảng Trị · F1 · Độ ẩm ngoài giới hạn")
        page.screenshot(path=str(ARTIFACTS / "03-silences.png"), full_page=True)
        with wall.sessions() as s:
            [sil] = s.query(Silence).all()
            assert sil.room == "F1" and sil.rule == "humidity" and sil.author == "manager"
            assert timedelta(minutes=119) < sil.ends_at - sil.starts_at <= timedelta(minutes=121)
        page.click("#silences button")
        expect(page.locator("#silences")).to_contain_text("Không có")

        # contacts: a wrong address is refused in words with the input kept; a webhook gets a test message
        page.click("text=Người nhận cảnh báo")
        page.fill("input[name=name]", "Chị Lan")
        page.select_option("select[name=channel]", "email")
        page.fill("input[name=address]", "khong-phai-email")
        page.click("#new-contact button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("Chưa lưu")
        expect(page.locator("input[name=name]")).to_have_value("Chị Lan")
        page.select_option("select[name=channel]", "webhook")
        page.select_option("select[name=tier]", "2")
        page.fill("input[name=address]", webhook.url + "/hook")
        page.click("#new-contact button[type=submit]")
        expect(page.locator("#contacts")).to_contain_text("Chị Lan")
        expect(page.locator("#contacts")).to_contain_text("Cấp 2 · quản lý")
        page.click("#contacts button:has-text('Gửi tin thử')")
        expect(page.locator(".flash")).to_contain_text("Đã gửi tin thử")
        [got] = webhook.wait_for(1)
        assert got.path == "/hook" and got.json()["kind"] == "test"
        expect(page.locator("#contacts")).to_contain_text("Lần thử gần nhất")
        page.screenshot(path=str(ARTIFACTS / "04-contacts.png"), full_page=True)


def test_alerts_pages_roles(wall: Wall) -> None:  # noqa: F811 (fixture)
    _alert(wall.sessions, wall.photo_id, "F1", "smoke", "critical", "firing", 1)
    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=10) as c:
        assert c.get("/alerts").status_code == 303  # login first
        login(c, "viewer")
        page = c.get("/alerts").text
        assert "Đang báo động" in page and "/ack" not in page and "/alerts/silences" not in page
        assert c.get("/alerts/silences").status_code == 403 and c.get("/alerts/contacts").status_code == 403
        assert 'id="alerts-link"' in c.get("/").text
