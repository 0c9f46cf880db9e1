"""No GET changes state: the room label is made by a POST (a manager's, with the CSRF token)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.models import LabelKind, LabelToken
from tests.inventory.conftest import World, csrf_of

Client = Callable[..., TestClient]


def _room_labels(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(LabelToken).where(LabelToken.kind == LabelKind.ROOM)) or 0)


def test_room_label_is_not_made_by_a_get(
    make_app: Callable[..., FastAPI], client_of: Client, world: World, sessions: sessionmaker[Session]
) -> None:
    app = make_app()
    viewer, manager = client_of(app, "viewer"), client_of(app, "manager")
    before = _room_labels(sessions)
    assert viewer.get(f"/room/{world.room_id}/label").status_code == 405
    assert _room_labels(sessions) == before
    assert viewer.post(f"/room/{world.room_id}/label", data={"csrf": csrf_of(viewer)}).status_code == 403
    assert manager.post(f"/room/{world.room_id}/label", data={}).status_code == 403, "CSRF token required"
    r = manager.post(f"/room/{world.room_id}/label", data={"csrf": csrf_of(manager)})
    assert r.status_code == 303 and r.headers["location"] == f"/room/{world.room_id}"
    assert _room_labels(sessions) == before + 1
