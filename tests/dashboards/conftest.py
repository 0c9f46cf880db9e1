"""Fixtures of the dashboards tests: the example registry and a Grafana HTTP API stand-in.

The stand-in answers the endpoints the publisher calls with the status codes and bodies of Grafana's HTTP API
documentation (legacy /api/… endpoints, Grafana 9–11): /api/health (no auth), /api/datasources,
/api/datasources/name/:name, /api/datasources/uid/:uid, /api/folders, /api/folders/:uid, /api/dashboards/db
(412 version-mismatch / name-exists), /api/dashboards/uid/:uid, and 401 for a missing or wrong bearer token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from dashboards.example import seed_example_registry
from dashboards.registry_view import SiteView, load_sites
from inventory.db import session_scope
from kho.asgi_thread import ThreadedServer
from kho.localservers import free_port


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass
class GrafanaState:
    token: str = "good-token"
    version: str = "11.3.0"
    datasources: dict[int, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid → {"dashboard", "folderUid"}
    calls: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1
    # Statuses of 412 answers to give to the next dashboard saves, as Grafana does when someone else saved
    # the dashboard meanwhile ("version-mismatch") or another dashboard has the title ("name-exists").
    reject_saves: list[str] = field(default_factory=list)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


def _err(code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=code)


def make_app(st: GrafanaState) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def auth(request: Request, call_next):  # type: ignore[no-untyped-def]
        st.calls.append((request.method, request.url.path))
        if request.url.path != "/api/health" and request.headers.get("authorization") != f"Bearer {st.token}":
            return _err(401, "Invalid API key", messageId="api-key.invalid", statusCode=401, traceID="")
        return await call_next(request)

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"commit": "0123abc", "database": "ok", "version": st.version}

    @app.get("/api/datasources")
    def ds_list() -> list[dict[str, Any]]:
        return list(st.datasources.values())

    @app.get("/api/datasources/name/{name}")
    def ds_by_name(name: str) -> Any:
        for ds in st.datasources.values():
            if ds["name"] == name:
                return ds
        return _err(404, "Data source not found")

    @app.post("/api/datasources")
    async def ds_create(request: Request) -> Any:
        body = await request.json()
        if not body.get("name") or not body.get("type"):
            return _err(400, "bad request data")
        if any(d["name"] == body["name"] for d in st.datasources.values()):
            return _err(409, "data source with the same name already exists")
        if body.get("uid") and any(d["uid"] == body["uid"] for d in st.datasources.values()):
            return _err(409, "data source with the same uid already exists")
        ds_id = st.new_id()
        body.pop("secureJsonData", None)
        ds = {**body, "id": ds_id, "uid": body.get("uid") or f"ds{ds_id}", "orgId": 1, "version": 1}
        st.datasources[ds_id] = ds
        return {"datasource": ds, "id": ds_id, "message": "Datasource added", "name": ds["name"]}

    @app.put("/api/datasources/uid/{uid}")
    async def ds_update(uid: str, request: Request) -> Any:
        body = await request.json()
        for ds_id, ds in st.datasources.items():
            if ds["uid"] == uid:
                body.pop("secureJsonData", None)
                new = {**ds, **body, "id": ds_id, "uid": uid, "version": ds["version"] + 1}
                st.datasources[ds_id] = new
                return {"datasource": new, "id": ds_id, "message": "Datasource updated", "name": new["name"]}
        return _err(404, "Data source not found")

    @app.get("/api/folders/{uid}")
    def folder_get(uid: str) -> Any:
        f = st.folders.get(uid)
        return f if f else _err(404, "Folder not found", status="not-found")

    @app.post("/api/folders")
    async def folder_create(request: Request) -> Any:
        body = await request.json()
        title, uid = body.get("title"), body.get("uid") or f"f{st.next_id}"
        if not title:
            return _err(400, "folder title cannot be empty")
        if uid in st.folders or any(f["title"] == title for f in st.folders.values()):
            return _err(409, "a folder with the same name already exists")
        f = {
            "id": st.new_id(),
            "uid": uid,
            "title": title,
            "url": f"/dashboards/f/{uid}/{_slug(title)}",
            "hasAcl": False,
            "canSave": True,
            "canEdit": True,
            "canAdmin": True,
            "version": 1,
        }
        st.folders[uid] = f
        return f

    @app.put("/api/folders/{uid}")
    async def folder_update(uid: str, request: Request) -> Any:
        body = await request.json()
        f = st.folders.get(uid)
        if f is None:
            return _err(404, "Folder not found")
        if not body.get("overwrite") and body.get("version") != f["version"]:
            return _err(412, "the folder has been changed by someone else", status="version-mismatch")
        f.update(title=body.get("title", f["title"]), version=f["version"] + 1)
        return f

    @app.get("/api/dashboards/uid/{uid}")
    def dash_get(uid: str) -> Any:
        entry = st.dashboards.get(uid)
        if entry is None:
            return _err(404, "Dashboard not found")
        d = entry["dashboard"]
        meta = {
            "type": "db",
            "slug": _slug(d["title"]),
            "url": f"/d/{uid}/{_slug(d['title'])}",
            "folderUid": entry["folderUid"],
            "version": d["version"],
            "canSave": True,
        }
        return {"dashboard": d, "meta": meta}

    @app.post("/api/dashboards/db")
    async def dash_save(request: Request) -> Any:
        try:
            body = await request.json()
        except ValueError:
            return _err(400, "bad request data")
        d = body.get("dashboard")
        if not isinstance(d, dict) or not d.get("title"):
            return _err(400, "Dashboard title cannot be empty", status="empty-name")
        if st.reject_saves:
            status = st.reject_saves.pop(0)
            msg = {
                "version-mismatch": "The dashboard has been changed by someone else",
                "name-exists": "A dashboard with the same name in the folder already exists",
            }[status]
            return _err(412, msg, status=status)
        folder = body.get("folderUid") or ""
        if folder and folder not in st.folders:
            return _err(400, "folder not found", status="folder-not-found")
        uid = d.get("uid") or f"auto{st.next_id}"
        overwrite = bool(body.get("overwrite"))
        existing = st.dashboards.get(uid)
        same_title = [
            u
            for u, e in st.dashboards.items()
            if u != uid and e["folderUid"] == folder and e["dashboard"]["title"] == d["title"]
        ]
        if same_title and not overwrite:
            return _err(412, "A dashboard with the same name in the folder already exists", status="name-exists")
        for u in same_title:  # overwrite replaces the dashboard that had the same title
            del st.dashboards[u]
        if existing and not overwrite and d.get("version") != existing["dashboard"]["version"]:
            return _err(412, "The dashboard has been changed by someone else", status="version-mismatch")
        version = existing["dashboard"]["version"] + 1 if existing else 1
        db_id = existing["dashboard"]["id"] if existing else st.new_id()
        stored = {**d, "id": db_id, "uid": uid, "version": version}
        st.dashboards[uid] = {"dashboard": stored, "folderUid": folder}
        return {
            "id": db_id,
            "uid": uid,
            "url": f"/d/{uid}/{_slug(d['title'])}",
            "status": "success",
            "version": version,
            "slug": _slug(d["title"]),
        }

    return app


class FakeGrafana:
    """Runs :func:`make_app` with uvicorn on a free port in a background thread."""

    def __init__(self) -> None:
        self.state = GrafanaState()
        self.port = free_port()
        self.server = ThreadedServer(make_app(self.state), "127.0.0.1", self.port, name="fake-grafana")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not self.server.start(10):
            raise RuntimeError("fake Grafana did not start")

    def stop(self) -> None:
        self.server.stop(5)


@pytest.fixture
def example_sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """A migrated SQLite registry holding the example site QT."""
    with session_scope(sqlite_sessions) as s:
        seed_example_registry(s)
    return sqlite_sessions


@pytest.fixture
def example_sites(example_sessions: sessionmaker[Session]) -> list[SiteView]:
    with session_scope(example_sessions) as s:
        return load_sites(s)


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    g = FakeGrafana()
    g.start()
    yield g
    g.stop()
