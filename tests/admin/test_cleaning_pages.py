"""Cleaning schedules with plain choices, driven through the page in Chromium at 360×780: created for a room with a
user picked from the list, shown in words, edited, deleted; the recurrence strings the scheduler reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from inventory.admin.cleaning import choice_of, describe, recurrence_of
from inventory.models import CleaningSchedule
from tests.admin.conftest import PASSWORD, Wall
from tests.browser import chromium, log_in
from tests.inventory.conftest import login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"


@pytest.mark.parametrize(
    ("form", "rec", "vi"),
    [
        ({"how": "daily", "hour": "7"}, "0 7 * * *", "Hằng ngày, 7:00"),
        ({"how": "weekly", "weekday": "fri", "hour": "8"}, "0 8 * * fri", "Hằng tuần, thứ Sáu, 8:00"),
        ({"how": "monthly", "monthday": "15", "hour": "9"}, "0 9 15 * *", "Hằng tháng, ngày 15, 9:00"),
        ({"how": "every", "days": "10"}, "every 10d", "Cứ 10 ngày một lần"),
    ],
)
def test_plain_choices_round_trip(form: dict[str, str], rec: str, vi: str) -> None:
    assert recurrence_of(form) == rec
    assert describe(rec, "vi") == vi
    back = choice_of(rec)
    assert recurrence_of({**back, "hour": back.get("hour", "8")}) == rec
    assert describe("*/5 * * * 1", "vi") == "*/5 * * * 1"  # an older cron line is shown as it is


@pytest.mark.parametrize("form", [{"how": "monthly", "monthday": "31"}, {"how": "every", "days": "0"}, {"how": "x"}])
def test_impossible_choices_are_refused(form: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        recurrence_of(form)


@pytest.mark.browser
def test_cleaning_schedules_through_the_page(wall: Wall) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 780})
        log_in(page, wall.url, "manager", PASSWORD, "/admin/cleaning")
        form = page.locator("#new-schedule form")
        form.locator("select[name=scope]").select_option(f"room:{wall.photo_id}")
        form.locator("select[name=how]").select_option("monthly")
        form.locator("input[name=monthday]").fill("31")
        form.locator("select[name=assignee]").select_option("keeper")
        form.locator("button[type=submit]").click()
        expect(page.locator("#form-error")).to_contain_text("Chưa lưu")  # no 31st in every month
        form = page.locator("#new-schedule form")
        expect(form.locator("select[name=assignee]")).to_have_value("keeper")  # the input is kept
        form.locator("input[name=monthday]").fill("15")
        form.locator("button[type=submit]").click()
        card = page.locator("#schedules .schedule").first
        expect(card).to_contain_text("Hằng tháng, ngày 15, 8:00")
        expect(card).to_contain_text("Keeper")
        with wall.sessions() as s:
            [sch] = s.scalars(select(CleaningSchedule)).all()
            assert sch.recurrence == "0 8 15 * *" and sch.assignee == "keeper" and sch.room_id == wall.photo_id
        card.locator("summary").click()
        card.locator("select[name=how]").select_option("every")
        card.locator("input[name=days]").fill("3")
        card.locator("button:has-text('Lưu')").click()
        expect(page.locator("#schedules .schedule").first).to_contain_text("Cứ 3 ngày một lần")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "17-cleaning.png"), full_page=True)
        card = page.locator("#schedules .schedule").first
        card.locator("summary").click()
        page.once("dialog", lambda d: d.accept())
        card.locator("button.warn").click()
        expect(page.locator(".flash")).to_contain_text("Đã xóa lịch")
        with wall.sessions() as s:
            assert s.scalars(select(CleaningSchedule)).all() == []


def test_room_page_schedule_form_uses_plain_choices(wall: Wall) -> None:
    import re

    import httpx

    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=20) as c:
        login(c, "manager")
        page = c.get(f"/room/{wall.paper_id}").text
        form = page.split('id="new-schedule"')[1].split("</form>")[0]
        assert 'name="how"' in form and 'name="recurrence"' not in form
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = c.post(f"/room/{wall.paper_id}/schedule", data={"csrf": csrf, "kind": "floor", "how": "every", "days": "3"})
        assert r.status_code == 303
        bad = c.post(
            f"/room/{wall.paper_id}/schedule", data={"csrf": csrf, "kind": "floor", "how": "monthly", "monthday": "30"}
        )
        assert bad.status_code == 400 and "<html" in bad.text
    with wall.sessions() as s:
        assert [x.recurrence for x in s.scalars(select(CleaningSchedule))] == ["every 3d"]
