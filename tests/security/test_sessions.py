"""Server-side sessions: logout, password change, disabling and an admin end them, copies of the cookie too;
idle and absolute lifetimes hold; "log out everywhere"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from inventory import auth
from inventory.db import utcnow
from inventory.models import User, WebSession
from tests.inventory.conftest import World, csrf_of, login

Client = Callable[..., TestClient]


def _copy(app: FastAPI, client_of: Client, c: TestClient) -> TestClient:
    """A second browser holding a copy of ``c``'s cookies (what an attacker who copied the cookie has)."""
    other = client_of(app)
    for name, value in c.cookies.items():
        other.cookies.set(name, value)
    return other


def _logged_in(c: TestClient) -> bool:
    return c.get("/").status_code == 200


def test_logout_ends_copies_of_the_cookie(make_app: Callable[..., FastAPI], client_of: Client, world: World) -> None:
    app = make_app()
    c = client_of(app, "keeper")
    stolen = _copy(app, client_of, c)
    assert _logged_in(stolen)
    box = world.box_ids["P12-ML3-H004"]
    token = csrf_of(stolen)
    r = c.post("/logout", data={"csrf": csrf_of(c)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert not _logged_in(c)
    # The copied cookie neither reads nor writes after the logout.
    assert stolen.get(f"/box/{box}").status_code == 303
    assert stolen.get("/api/inventory/whoami").status_code == 401
    r = stolen.post(f"/api/inventory/boxes/{box}/cleaned", json={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 401


def test_password_change_and_disabling_end_every_session(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    app = make_app()
    phone, desk = client_of(app, "keeper"), client_of(app, "keeper")
    other = client_of(app, "viewer")
    with sessions() as s:
        auth.set_password(s, "keeper", "một-mật-khẩu-mới-2")
        s.commit()
    assert not _logged_in(phone) and not _logged_in(desk)
    assert _logged_in(other), "another user's session is not touched"
    login(phone, "keeper", "một-mật-khẩu-mới-2")
    assert _logged_in(phone)
    with sessions() as s:
        auth.set_active(s, "keeper", False)
        s.commit()
    assert not _logged_in(phone)


def test_log_out_everywhere_and_admin_revocation(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    app = make_app()
    phone, desk = client_of(app, "keeper"), client_of(app, "keeper")
    page = desk.get("/account")
    assert page.status_code == 200 and page.text.count("<li>") == 2, "the account page lists both sessions"
    r = phone.post("/logout-all", data={"csrf": csrf_of(phone)})
    assert r.status_code == 303
    assert not _logged_in(phone) and not _logged_in(desk)
    # An admin ends another user's sessions through the API.
    login(phone, "keeper")
    admin = client_of(app, "admin")
    r = admin.post("/api/inventory/users/keeper/logout", headers={"X-CSRF-Token": csrf_of(admin)})
    assert r.status_code == 200 and r.json() == {"username": "keeper", "ended": 1}
    assert not _logged_in(phone) and _logged_in(admin)
    keeper = client_of(app, "keeper")
    r = keeper.post("/api/inventory/users/viewer/logout", headers={"X-CSRF-Token": csrf_of(keeper)})
    assert r.status_code == 403


def test_idle_and_absolute_lifetimes(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    app = make_app(session_idle_s=600, session_absolute_s=3600)
    c = client_of(app, "keeper")
    assert _logged_in(c)

    def age(**kw: timedelta) -> None:
        with sessions() as s:
            uid = s.scalar(select(User.id).where(User.username == "keeper"))
            values = {k: utcnow() - v for k, v in kw.items()}
            s.execute(update(WebSession).where(WebSession.user_id == uid).values(**values))
            s.commit()

    age(last_seen_at=timedelta(seconds=540))
    assert _logged_in(c), "9 minutes idle is within the 10 minute limit"
    age(last_seen_at=timedelta(seconds=660))
    assert not _logged_in(c), "11 minutes idle ends the session"
    login(c, "keeper")
    age(created_at=timedelta(seconds=3700), last_seen_at=timedelta(seconds=5))
    assert not _logged_in(c), "a session in use still ends at its absolute lifetime"


def test_only_a_hash_of_the_session_secret_is_stored(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    app = make_app()
    client_of(app, "keeper")
    with sessions() as s:
        rows = list(s.scalars(select(WebSession)))
    assert len(rows) == 1 and len(rows[0].token_hash) == 64 and rows[0].client == "testclient"
