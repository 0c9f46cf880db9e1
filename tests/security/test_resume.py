"""No action is lost to an ended session: after logging in again the keeper finishes it with one tap."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.db import utcnow
from inventory.models import WebSession
from tests.inventory.conftest import PASSWORD, World, csrf_of, login, login_csrf

Client = Callable[..., TestClient]


def _end_all_sessions_by_idling(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(days=1)))
        s.commit()


def _where(sessions: sessionmaker[Session], box_id: int) -> str | None:
    with sessions() as s:
        current = sv.box_view(s, box_id).current
        return current.code if current else None


def test_a_move_sent_after_the_session_ended_is_finished_after_login(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    app = make_app()
    c = client_of(app, "keeper")
    box = world.box_ids["P12-ML3-H004"]
    page = c.get(f"/box/{box}").text
    token = csrf_of(c)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    _end_all_sessions_by_idling(sessions)
    form = {"csrf": token, "version": version.group(1), "slot": "K1-G01-T2-V03"}
    r = c.post(f"/box/{box}/move", data=form, headers={"Referer": f"http://testserver/box/{box}"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fresume"
    assert _where(sessions, box) is None, "box 4 is not shelved yet"
    login_page = c.get("/login?next=%2Fresume").text
    assert "Phiên đăng nhập đã hết hạn" in login_page and "không bị mất" in login_page
    r = c.post("/login", data={"username": "keeper", "password": PASSWORD, "next": "/resume", "csrf": login_csrf(c)})
    assert r.status_code == 303 and r.headers["location"] == "/resume"
    page = c.get("/resume").text
    assert "chưa được lưu" in page and "K1-G01-T2-V03" in page
    assert f'action="/box/{box}/move"' in page
    assert _where(sessions, box) is None, "nothing was done before the keeper confirms"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert fields["slot"] == "K1-G01-T2-V03" and fields["version"] == version.group(1)
    r = c.post(f"/box/{box}/move", data=fields)
    assert r.status_code == 303 and r.headers["location"] == f"/box/{box}"
    assert _where(sessions, box) == "K1-G01-T2-V03"
    assert c.get("/resume").headers["location"] == "/", "offered once"


def test_a_forged_or_foreign_action_is_not_kept(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    app = make_app()
    c = client_of(app, "keeper")
    box = world.box_ids["P12-ML3-H004"]
    token = csrf_of(c)
    _end_all_sessions_by_idling(sessions)
    # Another site posting into the logged-out browser has no token: nothing is kept.
    r = c.post(f"/box/{box}/move", data={"slot": "K1-G01-T2-V03"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2F"
    login(c, "keeper")
    assert c.get("/resume").headers["location"] == "/"
    # A form kept for keeper is not offered to someone else who logs in on the same phone.
    token = csrf_of(c)
    _end_all_sessions_by_idling(sessions)
    r = c.post(f"/box/{box}/move", data={"slot": "K1-G01-T2-V03", "csrf": token})
    assert r.headers["location"] == "/login?next=%2Fresume"
    login(c, "manager")
    assert c.get("/resume").headers["location"] == "/"


def test_logging_out_of_an_ended_session_is_not_kept(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    c = client_of(make_app(), "keeper")
    token = csrf_of(c)
    _end_all_sessions_by_idling(sessions)
    r = c.post("/logout", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(c, "keeper")
    assert c.get("/resume").headers["location"] == "/"
