"""The page a keeper sees while the registry database is down, in real Chromium at phone size (360×780)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kho.app import create_app
from kho.asgi_thread import ThreadedServer
from kho.localservers import free_port
from kho.settings import Settings
from tests.browser import chromium, fill_login

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "backup"


@pytest.fixture
def down_server(tmp_path: Path) -> Iterator[str]:
    """The app with its database on a port where nothing listens (a stopped PostgreSQL)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kho"
    settings = Settings(state_dir=tmp_path, database={"url": url}, web={"secret_key": "k" * 32})  # type: ignore[arg-type]
    app = create_app(settings)
    srv = ThreadedServer(app, "127.0.0.1", free_port(), lifespan="off")
    assert srv.start(20), "uvicorn did not start"
    yield srv.url
    srv.stop()
    app.state.engine.dispose()


def test_try_again_page_on_a_phone(down_server: str) -> None:
    import httpx

    api = httpx.get(f"{down_server}/api/inventory/boxes/1", headers={"Authorization": "Bearer some-token"})
    assert api.status_code == 503 and api.headers["retry-after"] == "5" and "CHƯA được lưu" in api.json()["detail"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 780})
        for lang, text, shot in (
            ("vi", "CHƯA được lưu", "db-unavailable-vi.png"),
            ("en", "NOT saved", "db-unavailable-en.png"),
        ):
            page.goto(f"{down_server}/login?lang={lang}")  # the login form needs no database
            with page.expect_navigation() as nav:
                fill_login(page, "thukho", "mật-khẩu-dài-1")
            assert nav.value is not None and nav.value.status == 503
            assert text in page.inner_text("main")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
            page.screenshot(path=str(ARTIFACTS / shot), full_page=True)


def test_unsure_when_the_connection_broke_off_midway() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from inventory.dbdown import certainly_unsaved, is_unavailable

    refused = OperationalError("INSERT", {}, Exception('connection failed: connection to server at "127.0.0.1" failed'))
    midway = OperationalError("COMMIT", {}, Exception("consuming input failed: server closed the connection"))
    assert is_unavailable(refused) and certainly_unsaved(refused)
    assert is_unavailable(midway) and not certainly_unsaved(midway)
    assert is_unavailable(PoolTimeout()) and certainly_unsaved(PoolTimeout())
    assert not is_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))  # a bug stays a bug
