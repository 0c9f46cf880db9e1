"""Webhook and SMS gateway URLs: no loopback, link-local or private targets unless allowed; no keys in logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alerts.notifiers.base import Message, NotifyError
from alerts.notifiers.sms import SmsNotifier, SmsSettings
from alerts.notifiers.webhook import WebhookNotifier, WebhookSettings
from alerts.urlcheck import UnsafeUrl, check_url, redact
from inventory.errors import RegistryError
from kho import db as kho_db

from ..alerts.conftest import http_receiver  # noqa: F401 (fixture)

MSG = Message("KHÓI", "phòng P1", {"kind": "fire", "alerts": []})


def _fixed(*addresses: str) -> Any:
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://172.16.0.1/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number, resolved by the system resolver
    ],
)
def test_internal_targets_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="loopback, link-local or private"):
        check_url(url)
    assert check_url(url, allow_private=True) == url  # an administrator may allow it


def test_names_are_resolved_and_every_address_checked() -> None:
    assert check_url("https://hooks.example.vn/x", resolve=_fixed("93.184.216.34")) == "https://hooks.example.vn/x"
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.5"):
        check_url("https://hooks.example.vn/x", resolve=_fixed("93.184.216.34", "10.0.0.5"))  # one internal is enough
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://no-such-host.invalid/x")


@pytest.mark.parametrize("url", ["ftp://example.vn/x", "file:///etc/passwd", "gopher://x", "http:///x", "example.vn"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="only http"):
        check_url(url, allow_private=True)


def test_redact_drops_query_and_user_info() -> None:
    assert redact("https://user:pw@sms.example.vn:8443/send?key=SECRET&to=1#x") == "https://sms.example.vn:8443/send?…"
    assert redact("https://hooks.example.vn/a/b") == "https://hooks.example.vn/a/b"


def test_webhook_to_loopback_is_not_sent(http_receiver: Any) -> None:  # noqa: F811
    hook = http_receiver()
    with pytest.raises(NotifyError) as e:
        WebhookNotifier(WebhookSettings()).send(hook.url + "/hook?token=SECRET", MSG)
    assert e.value.permanent and "SECRET" not in str(e.value)
    WebhookNotifier(WebhookSettings(allow_private=True)).send(hook.url + "/hook?token=SECRET", MSG)
    assert len(hook.wait_for(1)) == 1  # the receiver got only the allowed one


def test_sms_gateway_on_loopback_is_not_called(http_receiver: Any) -> None:  # noqa: F811
    gw = http_receiver()
    template = gw.url + "/send?key=SECRET&to={to}&msg={text}"
    with pytest.raises(NotifyError) as e:
        SmsNotifier(SmsSettings(url_template=template)).send("+84901234567", MSG)
    assert e.value.permanent and "SECRET" not in str(e.value) and "84901234567" not in str(e.value)
    assert gw.requests == []


def test_failed_webhook_error_has_no_query() -> None:
    from kho.localservers import free_port

    url = f"http://127.0.0.1:{free_port()}/hook?token=SECRET"
    with pytest.raises(NotifyError) as e:
        WebhookNotifier(WebhookSettings(allow_private=True)).send(url, MSG)
    assert "SECRET" not in str(e.value) and "127.0.0.1" in str(e.value)


def test_delivery_log_has_no_query() -> None:
    from alerts.urlcheck import loggable

    assert loggable("https://hooks.example.vn/x?token=SECRET") == "https://hooks.example.vn/x?…"
    assert loggable("+84901234567") == "+84901234567"


def test_httpx_request_log_is_quiet_in_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx logs every request URL at INFO; kho's entry point turns that logger down."""
    import sys

    import kho.cli as cli

    monkeypatch.setattr(sys, "argv", ["kho", "--help"])
    before = logging.getLogger("httpx").level
    try:
        with pytest.raises(SystemExit):
            cli.main()
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    finally:
        logging.getLogger("httpx").setLevel(before)


def test_contact_add_refuses_internal_webhook(sqlite_url: str, tmp_path: Path) -> None:
    from kho.cli import app

    kho_db.upgrade(sqlite_url)
    env = {"KHO_DATABASE__URL": sqlite_url, "KHO_STATE_DIR": str(tmp_path)}
    args = ["alerts", "contacts", "add", "Hook", "--channel", "webhook", "--address", "http://169.254.169.254/x"]
    r = CliRunner().invoke(app, args, env=env)
    assert r.exit_code != 0 and isinstance(r.exception, RegistryError)
    assert "link-local" in str(r.exception)
    r = CliRunner().invoke(app, ["alerts", "contacts", "list"], env=env)
    assert "Hook" not in r.output
    r = CliRunner().invoke(app, args, env={**env, "KHO_ALERTS__WEBHOOK__ALLOW_PRIVATE": "true"})
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("allow", [False, True])
def test_contact_api_refuses_internal_webhook(sqlite_url: str, tmp_path: Path, allow: bool) -> None:
    from fastapi.testclient import TestClient

    from inventory.auth import create_token
    from inventory.db import session_scope
    from kho.app import create_app
    from kho.settings import Settings

    kho_db.upgrade(sqlite_url)
    settings = Settings(
        state_dir=tmp_path / "state",
        database={"url": sqlite_url},  # type: ignore[arg-type]
        web={"secret_key": "url-test"},  # type: ignore[arg-type]
        alerts={"webhook": {"allow_private": allow}},  # type: ignore[arg-type]
    )
    app = create_app(settings)
    with session_scope(app.state.sessions) as s:
        token = create_token(s, "t-manager", "manager")
    body = {"name": "Hook", "channel": "webhook", "address": "http://10.0.0.8/hook?k=SECRET"}
    with TestClient(app) as client:
        r = client.post("/api/alert-contacts", json=body, headers={"Authorization": f"Bearer {token}"})
        if allow:
            assert r.status_code == 201
        else:
            assert r.status_code == 400 and "private" in r.text and "SECRET" not in r.text
            listed = client.get("/api/alert-contacts", headers={"Authorization": f"Bearer {token}"}).json()
            assert listed == []
    app.state.engine.dispose()
