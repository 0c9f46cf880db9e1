"""Users, sessions, tokens, roles, CSRF and the login rate limit, through the real app."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from inventory import auth
from inventory.errors import Conflict, RegistryError
from tests.inventory.conftest import PASSWORD, World, csrf_of, login, login_csrf


def test_password_is_hashed_and_checked(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        u = auth.create_user(s, "Lan", "dài-đủ-8-ký-tự", "keeper")
        s.commit()
        assert u.username == "lan"
        assert u.password_hash.startswith("$argon2id$") and "dài" not in u.password_hash
        assert auth.authenticate(s, "LAN", "dài-đủ-8-ký-tự") is not None
        assert auth.authenticate(s, "lan", "wrong-password") is None
        assert auth.authenticate(s, "nobody", "whatever") is None
        with pytest.raises(Conflict):
            auth.create_user(s, "lan", "another-pass", "viewer")
        with pytest.raises(RegistryError, match="too short"):
            auth.create_user(s, "short", "1234", "viewer")
        with pytest.raises(RegistryError, match="unknown role"):
            auth.create_user(s, "boss", "long-enough", "boss")


def test_label_url_needs_login_then_opens_the_box(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    from inventory.services import box_view

    with sessions() as s:
        token = box_view(s, world.box_ids["P12-ML3-H001"]).token
    c = client_factory()
    r = c.get(f"/s/{token}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fs%2F")
    r = c.get(f"/api/inventory/labels/{token}")
    assert r.status_code == 401
    r = c.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "next": f"/s/{token}", "csrf": login_csrf(c)}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/s/{token}"
    r = c.get(f"/s/{token}")
    assert r.status_code == 303 and r.headers["location"] == f"/box/{world.box_ids['P12-ML3-H001']}"
    assert c.get("/s/no-such-token").status_code == 404


def test_login_rejects_open_redirect_and_wrong_password(
    client_factory: Callable[..., TestClient], world: World
) -> None:
    c = client_factory()
    r = c.post("/login", data={"username": "keeper", "password": "nope-nope", "next": "/", "csrf": login_csrf(c)})
    assert r.status_code == 401 and "Sai tên đăng nhập" in r.text
    r = c.post(
        "/login", data={"username": "keeper", "password": PASSWORD, "next": "//evil.example/x", "csrf": login_csrf(c)}
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_login_is_rate_limited(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory()
    for _ in range(5):
        assert (
            c.post("/login", data={"username": "keeper", "password": "bad-password", "csrf": login_csrf(c)}).status_code
            == 401
        )
    r = c.post("/login", data={"username": "keeper", "password": PASSWORD, "csrf": login_csrf(c)})
    assert r.status_code == 429, "the right password must not get through while the limit holds"
    assert "Thử lại sau" in r.text
    # Another user from the same client is not locked out by keeper's failures.
    assert c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf": login_csrf(c)}).status_code == 303


def test_rate_limiter_window_expires() -> None:
    now = [0.0]
    lim = auth.LoginRateLimiter(max_failures=2, window_s=60, clock=lambda: now[0])
    lim.failed("ip", "u")
    lim.failed("ip", "u")
    assert lim.retry_after("ip", "u") == pytest.approx(60)
    now[0] = 61
    assert lim.retry_after("ip", "u") == 0


def test_csrf_is_required_for_cookie_writes(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    box = world.box_ids["P12-ML3-H004"]
    r = c.post(f"/box/{box}/cleaned", data={})
    assert r.status_code == 403 and "hết hạn" in r.text
    r = c.post(f"/api/inventory/boxes/{box}/cleaned", json={})
    assert r.status_code == 403 and r.json()["detail"] == "csrf"
    r = c.post(f"/box/{box}/cleaned", data={"csrf": "forged"})
    assert r.status_code == 403
    r = c.post(f"/box/{box}/cleaned", data={"csrf": csrf_of(c)})
    assert r.status_code == 303


def test_roles_are_enforced(client_factory: Callable[..., TestClient], world: World) -> None:
    viewer = client_factory("viewer")
    tok = csrf_of(viewer)
    box = world.box_ids["P12-ML3-H004"]
    r = viewer.post(f"/api/inventory/boxes/{box}/place", json={"slot": "K1-G01-T2-V01"}, headers={"X-CSRF-Token": tok})
    assert r.status_code == 403 and "keeper" in r.json()["detail"]
    keeper = client_factory("keeper")
    h = {"X-CSRF-Token": csrf_of(keeper)}
    r = keeper.post(
        "/api/inventory/schedules",
        json={"kind": "floor", "recurrence": "every 7d", "site": "HN", "room": "K1"},
        headers=h,
    )
    assert r.status_code == 403
    r = keeper.post("/api/inventory/users", json={"username": "x1", "password": "long-enough"}, headers=h)
    assert r.status_code == 403
    manager = client_factory("manager")
    h = {"X-CSRF-Token": csrf_of(manager)}
    r = manager.post("/api/inventory/users", json={"username": "x1", "password": "long-enough"}, headers=h)
    assert r.status_code == 403
    admin = client_factory("admin")
    r = admin.post(
        "/api/inventory/users",
        json={"username": "x1", "password": "long-enough", "role": "keeper"},
        headers={"X-CSRF-Token": csrf_of(admin)},
    )
    assert r.status_code == 201 and r.json() == {"username": "x1", "role": "keeper"}


def test_bearer_tokens(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        secret = auth.create_token(s, "scanner-1", "keeper")
        ro = auth.create_token(s, "wallboard", "viewer")
        s.commit()
    c = client_factory()
    box = world.box_ids["P12-ML3-H004"]
    r = c.post(f"/api/inventory/boxes/{box}/cleaned", json={}, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text
    assert r.json()["events"][0]["actor"] == "token:scanner-1"
    r = c.post(f"/api/inventory/boxes/{box}/cleaned", json={}, headers={"Authorization": f"Bearer {ro}"})
    assert r.status_code == 403
    r = c.get("/api/inventory/whoami", headers={"Authorization": "Bearer kho_not-a-token"})
    assert r.status_code == 401
    with sessions() as s:
        auth.revoke_token(s, "scanner-1")
        s.commit()
    r = c.get("/api/inventory/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401


def test_password_change_and_disable_end_sessions(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_factory("keeper")
    assert c.get("/api/inventory/whoami").json()["username"] == "keeper"
    with sessions() as s:
        auth.set_password(s, "keeper", "a-new-password")
        s.commit()
    assert c.get("/api/inventory/whoami").status_code == 401
    login(c, "keeper", "a-new-password")
    assert c.get("/api/inventory/whoami").status_code == 200
    with sessions() as s:
        auth.set_active(s, "keeper", False)
        s.commit()
    assert c.get("/api/inventory/whoami").status_code == 401


def test_admin_creates_token_through_the_api(client_factory: Callable[..., TestClient], world: World) -> None:
    admin = client_factory("admin")
    h = {"X-CSRF-Token": csrf_of(admin)}
    r = admin.post("/api/inventory/tokens", json={"name": "kiosk", "role": "viewer"}, headers=h)
    assert r.status_code == 201 and r.json()["token"].startswith("kho_")
    assert admin.post("/api/inventory/tokens", json={"name": "kiosk"}, headers=h).status_code == 409
    assert admin.post("/api/inventory/tokens", json={"name": "k2", "role": "root"}, headers=h).status_code == 400
    machine = client_factory()
    who = machine.get("/api/inventory/whoami", headers={"Authorization": f"Bearer {r.json()['token']}"}).json()
    assert who == {"username": "kiosk", "role": "viewer", "kind": "token"}
