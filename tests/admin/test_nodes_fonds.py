"""Sensor nodes and fonds through the pages: register, move, last seen from the real influxd, firmware download;
fonds and catalogues. Screenshots at 360×780 go to test-artifacts/admin/."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from collector.history import ClimateHistory
from collector.influx import InfluxClient
from inventory.models import Catalogue, DeviceAssignment, Fonds
from tests.admin.conftest import PASSWORD, Wall
from tests.browser import chromium, log_in
from tests.inventory.conftest import login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"


@contextmanager
def _client(wall: Wall, user: str) -> Iterator[httpx.Client]:
    """A client logged in as ``user``."""
    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=20) as c:
        login(c, user)
        yield c


def _csrf(c: httpx.Client, path: str = "/") -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', c.get(path).text)
    assert m
    return m.group(1)


def test_nodes_register_move_last_seen_and_firmware(wall: Wall) -> None:
    wall.app.state.history_provider = ClimateHistory(wall.influx)
    client = InfluxClient(wall.influx)
    client.write_lines(
        b"climate,site=QT,room=F1,device=qt-f1 temperature_c=12 %d\n" % int(time.time() * 1000 - 120_000)
    )
    client.close()
    with _client(wall, "admin") as c:
        csrf = _csrf(c)
        page = c.get("/admin/nodes").text
        f1 = page.split('id="node-qt-f1"')[1].split('class="card node"')[0]
        assert "đang gửi" in f1 and "2 phút trước" in f1
        assert "không gửi" in page.split('id="node-qt-p1"')[1].split('class="card node"')[0]
        r = c.post("/admin/nodes", data={"csrf": csrf, "id": "qt-f1", "profile": "esphome", "room": "QT/F1"})
        assert r.status_code == 400 and "Chưa lưu" in r.text and 'value="qt-f1"' in r.text  # taken; input kept
        r = c.post(
            "/admin/nodes",
            data={
                "csrf": csrf,
                "id": "qt-f1-e",
                "profile": "esphome",
                "room": "QT/F1",
                "hardware": "esp32-sht3x",
                "interval": "30",
            },
        )
        assert r.status_code == 303
        r = c.post("/admin/nodes/qt-f1-e/move", data={"csrf": csrf, "room": "QT/P1"})
        assert r.status_code == 303 and "Đã chuyển qt-f1-e sang QT/P1" in c.get("/admin/nodes").text
        with wall.sessions() as s:
            rooms = [
                a.room.code
                for a in s.scalars(
                    select(DeviceAssignment)
                    .where(DeviceAssignment.device_id == "qt-f1-e")
                    .order_by(DeviceAssignment.since)
                )
            ]
            assert rooms == ["F1", "P1"]
        z = c.get("/admin/nodes/qt-f1-e/firmware.zip")
        assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
        assert "qt-f1-e/qt-f1-e.yaml" in names and "qt-f1-e/secrets.yaml" in names
        yaml_text = zipfile.ZipFile(io.BytesIO(z.content)).read("qt-f1-e/qt-f1-e.yaml").decode()
        assert "qt-f1-e" in yaml_text
        native = c.get("/admin/nodes/qt-f1/firmware.zip")
        assert native.status_code == 400 and "native" in native.text and "<html" in native.text
    with _client(wall, "manager") as m:
        assert m.get("/admin/nodes").status_code == 403


def test_fonds_and_catalogues(wall: Wall) -> None:
    with _client(wall, "manager") as c:
        csrf = _csrf(c)
        assert c.post("/admin/fonds", data={"csrf": csrf, "code": "p9", "name": "Sở Tư pháp"}).status_code == 303
        r = c.post("/admin/fonds", data={"csrf": csrf, "code": "P9", "name": "Trùng"})
        assert r.status_code == 400 and "Chưa lưu" in r.text and 'value="Trùng"' in r.text
        r = c.post("/admin/fonds/P9/catalogues", data={"csrf": csrf, "number": "x", "title": "Mục lục hành chính"})
        assert r.status_code == 400 and 'value="Mục lục hành chính"' in r.text
        assert (
            c.post("/admin/fonds/P9/catalogues", data={"csrf": csrf, "number": "2", "title": "Hành chính"}).status_code
            == 303
        )
        assert "Mục lục 2 · Hành chính" in c.get("/admin/fonds").text
    with wall.sessions() as s:
        f = s.scalar(select(Fonds).where(Fonds.code == "P9"))
        assert f is not None and [(c.number, c.title) for c in s.scalars(select(Catalogue))] == [(2, "Hành chính")]


@pytest.mark.browser
def test_nodes_page_on_a_phone(wall: Wall) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 780})
        log_in(page, wall.url, "admin", PASSWORD, "/admin/nodes")
        page.click("#new-node summary")
        form = page.locator("#new-node form")
        form.locator("input[name=id]").fill("qt-p1-t")
        form.locator("select[name=profile]").select_option("tasmota")
        form.locator("select[name=room]").select_option("QT/P1")
        form.locator("button[type=submit]").click()
        expect(page.locator("#node-qt-p1-t")).to_contain_text("tasmota")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(ARTIFACTS / "18-nodes.png"), full_page=True)
        page.goto(f"{wall.url}/admin/fonds")
        page.screenshot(path=str(ARTIFACTS / "19-fonds.png"), full_page=True)
