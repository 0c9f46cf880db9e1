"""Chromium for the page tests: one way to launch Debian's Chromium and one way to log in through the login form.

Playwright is imported when a browser is launched, so modules that only import these helpers stay cheap to collect.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
# No sandbox and no GPU in the test containers; nothing that phones home or updates itself during a test.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def launch_chromium(pw: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    """Debian's Chromium, headless, with ``CHROMIUM_ARGS`` and ``extra_args``; a missing one fails the test with the
    command that installs it."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args])


@contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """``with chromium() as browser:`` a launched Chromium, closed (and Playwright stopped) at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw, extra_args)
        try:
            yield browser
        finally:
            browser.close()


def phone_page(browser: Browser, height: int = 780, **options: Any) -> Page:
    """A page in a context of its own that looks like a keeper's phone: 360 px wide, touch, Vietnamese."""
    ctx = browser.new_context(
        viewport={"width": 360, "height": height},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        **options,
    )
    return ctx.new_page()


def fill_login(page: Page, user: str, password: str) -> None:
    """Log in with the login form on screen: ``/login``, or where a page that needs a login sent the browser."""
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")


def log_in(page: Page, base: str, user: str, password: str, nxt: str = "/") -> None:
    """Open the login form of the app at ``base`` and log in; the app then goes on to ``nxt``."""
    page.goto(f"{base}/login?next={nxt}")
    fill_login(page, user, password)
