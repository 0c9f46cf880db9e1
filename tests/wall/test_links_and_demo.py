"""Wall links outside the browser: ``kho demo`` prints a fresh wall URL each run and revokes the previous one;
managers create and revoke links in the web."""

from __future__ import annotations

import re

import httpx
from rich.console import Console

from dashboards.wall import links
from inventory.db import session_scope
from kho.cli.demo_cmd import where_to_look
from kho.settings import Settings
from tests.inventory.conftest import login
from tests.wall.conftest import Wall


def test_demo_prints_a_fresh_wall_url(wall: Wall) -> None:
    with session_scope(wall.sessions) as s:
        first = links.replace_link(s, "kho demo", "QT", "demo")
    with session_scope(wall.sessions) as s:
        second = links.replace_link(s, "kho demo", "QT", "demo")
        assert links.link_for(s, first) is None and links.link_for(s, second) is not None
    console = Console(record=True, width=300)
    console.print(where_to_look({"web": 8080, "influx": 8086, "mqtt": 1883}, Settings(), [], None, wall_token=second))
    assert f"/wall/QT?token={second}" in console.export_text()


def test_manager_creates_and_revokes_a_wall_link(wall: Wall) -> None:
    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=10) as c:
        assert c.get("/wall-links").status_code == 303  # login first
        login(c, "keeper")
        assert c.get("/wall-links").status_code == 403  # keepers do not hand out links
        assert c.get("/wall/QT").status_code == 200  # but see the wall
        sites = c.get("/wall")  # two sites: a choice
        assert sites.status_code == 200 and 'href="/wall/HN"' in sites.text and 'href="/wall/QT"' in sites.text
        c.post("/logout", data={"csrf": _csrf(c)})
        login(c, "manager")
        csrf = _csrf(c)
        c.post("/wall-links", data={"csrf": csrf, "name": "", "site": "QT"})
        page = c.get("/wall-links").text
        assert "Chưa tạo được" in page  # a name is required, said in words
        c.post("/wall-links", data={"csrf": csrf, "name": "Sảnh chính", "site": "QT"})
        page = c.get("/wall-links").text
        url = re.search(r'value="([^"]+/wall/QT\?token=[^"]+)"', page)
        assert url and url.group(1), page
        secret = url.group(1).split("token=")[1]
        assert "Sảnh chính" in page
        assert "Sảnh chính" in c.get("/wall-links").text and "token=" not in c.get("/wall-links").text  # shown once
        anon = httpx.Client(base_url=wall.url, follow_redirects=False, timeout=10)
        assert anon.get("/wall/QT", params={"token": secret}).status_code == 200
        with session_scope(wall.sessions) as s:
            link_id = next(x.id for x in links.list_links(s) if x.name == "Sảnh chính")
        c.post(f"/wall-links/{link_id}/revoke", data={"csrf": csrf})
        assert "đã thu hồi" in c.get("/wall-links").text
        assert anon.get("/wall/QT", params={"token": secret}).status_code == 403
        anon.close()


def _csrf(c: httpx.Client) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text)
    assert m
    return m.group(1)
