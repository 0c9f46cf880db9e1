"""``/api/docs`` works without internet: Swagger UI comes from the package's static files, and the page renders
in Chromium with every request to another host blocked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.admin.conftest import Wall

CHROMIUM = "/usr/bin/chromium"


def test_swagger_ui_is_served_offline(wall: Wall) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    foreign: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
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
        browser.close()
    assert foreign == []
    licence = Path(__file__).resolve().parents[2] / "kho" / "static" / "swagger" / "LICENSE"
    assert "Apache License" in licence.read_text()
