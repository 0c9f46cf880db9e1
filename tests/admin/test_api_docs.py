"""``/api/docs`` works without internet: Swagger UI comes from the package's static files, and the page renders
in Chromium with every request to another host blocked."""

from __future__ import annotations

from pathlib import Path

from tests.admin.conftest import Wall
from tests.browser import chromium


def test_swagger_ui_is_served_offline(wall: Wall) -> None:
    from playwright.sync_api import expect

    foreign: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def guard(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith(wall.url):
                route.continue_()  # type: ignore[attr-defined]
            else:
                foreign.append(url)
                route.abort()  # type: ignore[attr-defined]

        page.route("**/*", guard)
        page.goto(f"{wall.url}/api/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("kho", timeout=15_000)
        expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert foreign == []
    licence = Path(__file__).resolve().parents[2] / "kho" / "static" / "swagger" / "LICENSE"
    assert "Apache License" in licence.read_text()
