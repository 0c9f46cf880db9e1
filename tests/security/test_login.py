"""The login form: CSRF token, limits per account and per client that hold under parallel attempts, the client
address from X-Forwarded-For only behind a trusted proxy, and the password policy."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from inventory import auth
from inventory.errors import RegistryError
from tests.inventory.conftest import PASSWORD, World, csrf_of, login_csrf

Client = Callable[..., TestClient]


def _post_login(c: TestClient, username: str, password: str, **headers: str) -> int:
    data = {"username": username, "password": password, "next": "/", "csrf": login_csrf(c)}
    return c.post("/login", data=data, headers=headers).status_code


def test_login_form_carries_a_csrf_token_and_a_forged_login_is_refused(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    app = make_app()
    c = client_of(app)
    page = c.get("/login").text
    assert 'name="csrf" value="' in page
    # A login posted by another site (no token of this browser) does not log the browser in.
    r = c.post("/login", data={"username": "keeper", "password": PASSWORD, "next": "/"})
    assert r.status_code == 403
    assert "Biểu mẫu đăng nhập đã cũ" in r.text and 'value="keeper"' in r.text, "message shown, name kept"
    assert c.get("/").status_code == 303
    r = c.post("/login", data={"username": "keeper", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403
    assert _post_login(c, "keeper", PASSWORD) == 303
    assert c.get("/").status_code == 200


def test_parallel_wrong_passwords_stop_at_the_limit(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hashing slow enough that the attempts overlap, as they do with the real cost parameters.
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1))
    app = make_app(login_max_failures=5)
    clients = [client_of(app) for _ in range(12)]
    tokens = [login_csrf(c) for c in clients]
    start = threading.Barrier(len(clients))
    codes: list[int] = []

    def attempt(c: TestClient, token: str) -> None:
        start.wait()
        r = c.post("/login", data={"username": "keeper", "password": "wrong-password-x", "csrf": token})
        codes.append(r.status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Counter(codes) == {401: 5, 429: 7}, "exactly the allowed number of passwords were checked"
    assert _post_login(clients[0], "keeper", PASSWORD) == 429, "the right password waits too"


def test_account_limit_holds_across_clients_and_locks_no_other_account(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    app = make_app(trusted_proxies=["10.0.0.0/8"], login_max_failures=5, login_account_max_failures=8)
    proxy = client_of(app, client=("10.1.2.3", 40000))
    for n in range(8):
        assert _post_login(proxy, "keeper", "wrong-password-x", **{"X-Forwarded-For": f"203.0.113.{n}"}) == 401
    # A ninth client is refused for this account, even with the right password...
    assert _post_login(proxy, "keeper", PASSWORD, **{"X-Forwarded-For": "198.51.100.1"}) == 429
    # ...while other accounts log in from the same clients and the same proxy.
    assert _post_login(proxy, "viewer", PASSWORD, **{"X-Forwarded-For": "203.0.113.0"}) == 303
    other = client_of(app, client=("10.1.2.3", 40001))
    assert _post_login(other, "manager", PASSWORD, **{"X-Forwarded-For": "198.51.100.1"}) == 303


def test_forwarded_for_counts_only_from_a_trusted_proxy(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    # Without trusted proxies the header is the client's to invent: it changes nothing.
    app = make_app(login_max_failures=3)
    c = client_of(app, client=("192.0.2.10", 40000))
    for n in range(3):
        assert _post_login(c, "keeper", "wrong-password-x", **{"X-Forwarded-For": f"203.0.113.{n}"}) == 401
    assert _post_login(c, "keeper", PASSWORD, **{"X-Forwarded-For": "203.0.113.99"}) == 429
    # Behind a trusted proxy the address the proxy saw counts, not what the client wrote left of it.
    app2 = make_app(trusted_proxies=["10.0.0.1"], login_max_failures=3)
    p = client_of(app2, client=("10.0.0.1", 40000))
    for n in range(3):
        hops = f"198.51.100.{n}, 203.0.113.50"
        assert _post_login(p, "keeper", "wrong-password-x", **{"X-Forwarded-For": hops}) == 401
    assert _post_login(p, "keeper", PASSWORD, **{"X-Forwarded-For": "198.51.100.77, 203.0.113.50"}) == 429
    assert _post_login(p, "keeper", PASSWORD, **{"X-Forwarded-For": "203.0.113.51"}) == 303


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (" " * 8, "too short"),
        ("   abc   ", "too short"),
        ("lan.nguyen", "user name"),
        ("LAN.NGUYEN", "user name"),
        ("neyugn.nal", "user name"),
        ("12345678", "too common"),
        ("Password123", "too common"),
        ("anhyeuem123", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("x" * 300, "too long"),
        ("abc\ud800defgh", "control characters"),
        ("abcdefgh\n", "control characters"),
    ],
)
def test_password_policy_refuses(password: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        auth.check_password(password, "lan.nguyen")


def test_password_policy_accepts_a_good_password_and_ships_its_list() -> None:
    auth.check_password("mây-trắng-bay-về-núi", "lan.nguyen")
    assert len(auth.common_passwords()) > 200 and "matkhau123" in auth.common_passwords()


def test_api_and_password_change_apply_the_policy(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    admin = client_of(make_app(), "admin")
    h = {"X-CSRF-Token": csrf_of(admin)}
    r = admin.post("/api/inventory/users", json={"username": "lan", "password": "qwertyuiop"}, headers=h)
    assert r.status_code == 400 and "too common" in r.json()["detail"]
    r = admin.post("/api/inventory/users", json={"username": "lan", "password": "lan"}, headers=h)
    assert r.status_code == 400
    r = admin.post("/api/inventory/users", json={"username": "lan", "password": "bốn-mùa-xuân-hạ"}, headers=h)
    assert r.status_code == 201


def test_served_app_ignores_forwarded_for_from_local_clients(make_app: Callable[..., FastAPI], world: World) -> None:
    """Through uvicorn as ``kho demo`` runs it: a local client writing X-Forwarded-For gets no fresh address."""
    import httpx

    from kho.cli.demo_cmd import web_server
    from kho.localservers import free_port

    app = make_app(login_max_failures=3)
    port = free_port()
    web = web_server(app, "127.0.0.1", port)
    assert web.start(30)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            codes = []
            for n in range(4):
                m = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text)
                assert m
                data = {"username": "keeper", "password": "wrong-password-x", "csrf": m.group(1)}
                codes.append(c.post("/login", data=data, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code)
    finally:
        web.stop()
    assert codes == [401, 401, 401, 429]
    assert app.state.login_limiter.retry_after("127.0.0.1", "keeper") > 0, "counted for the real peer"


def test_secret_key_is_one_for_the_app_and_the_alert_links(tmp_path: Path) -> None:
    from alerts.links import app_secret as links_secret
    from inventory.secret_key import app_secret
    from kho.app import create_app
    from kho.settings import Settings

    state = tmp_path / "state"
    app = create_app(Settings(state_dir=state))
    app.state.engine.dispose()
    assert app.state.secret_key == links_secret("", state) == app_secret("", state)
    assert (state / "secret_key").stat().st_mode & 0o777 == 0o600
    assert app_secret("configured-key", state) == "configured-key"


def test_limiter_forgets_old_keys() -> None:
    now = [0.0]
    lim = auth.LoginRateLimiter(max_failures=2, window_s=60, clock=lambda: now[0])
    for n in range(5000):
        lim.begin(f"10.0.{n // 250}.{n % 250}", f"user{n}")
    now[0] = 1000
    lim.begin("10.9.9.9", "someone")
    assert len(lim._fails) <= 3, "keys of expired failures are dropped"
