"""The room page's climate section against a real influxd: known readings are drawn where they belong (values in
the SVG's data attributes and at the right height), the target band is the room's limits, alert periods are
shaded, 30 days come from the hourly means; the box page shows the climate since the box arrived. Screenshots at
360×780 go to test-artifacts/admin/."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from alerts.models import Alert
from collector.history import ClimateHistory
from collector.influx import InfluxClient
from inventory import services as sv
from inventory.db import session_scope
from tests.admin.conftest import PASSWORD, Wall
from tests.browser import chromium, log_in
from tests.inventory.conftest import login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"


def _series(svg: str, field: str) -> list[tuple[int, float]]:
    m = re.search(rf'data-field="{field}" data-values="([^"]*)"', svg)
    assert m, f"no series {field}"
    return [(int(a), float(b)) for a, b in (p.split(",") for p in m.group(1).split(";") if p)]


def _svg(page: str, chart_id: str) -> str:
    m = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', page, re.S)
    assert m, f"no chart {chart_id}"
    return m.group(0)


def test_room_charts_draw_the_readings_and_the_band(wall: Wall) -> None:
    wall.app.state.history_provider = ClimateHistory(wall.influx)
    now = int(time.time() // 600 * 600)  # bucket-aligned: each written reading is its bucket's mean
    written = {(now - 600 * k) * 1000: 14.0 + (k % 7) * 0.5 for k in range(1, 100, 3)}
    lines = b"".join(
        b"climate,site=QT,room=F1,device=qt-f1 temperature_c=%.1f,humidity_pct=%.1f,dew_point_c=%.1f %d\n"
        % (v, 42.0 + v / 10, v - 8, ms)
        for ms, v in written.items()
    )
    # 30 days come from the hourly means (fields mean_<field>): one per 3 h bucket, 20 days back
    hourly = {(now // 10800 - k) * 10800 * 1000: 12.0 + k % 5 for k in range(8, 160, 8)}
    lines += b"".join(
        b"climate_1h,site=QT,room=F1,device=qt-f1 mean_temperature_c=%.1f,mean_humidity_pct=45 %d\n" % (v, ms)
        for ms, v in hourly.items()
    )
    client = InfluxClient(wall.influx)
    client.write_lines(b"".join(x for x in lines.splitlines(keepends=True) if x.startswith(b"climate,")))
    raw_hourly = b"".join(x for x in lines.splitlines(keepends=True) if x.startswith(b"climate_1h"))
    r = httpx.post(
        f"{wall.influx.url}/write",
        params={"db": wall.influx.database, "rp": "forever", "precision": "ms"},
        content=raw_hourly,
    )
    assert r.status_code == 204, r.text
    # the latest reading of the node: 17.8 °C, above the photo store's 8–16 °C
    client.write_lines(
        b"climate,site=QT,room=F1,device=qt-f1 temperature_c=17.8,humidity_pct=44,dew_point_c=5.2 %d\n"
        % int(time.time() * 1000)
    )
    client.close()
    started = datetime.fromtimestamp(now - 5 * 3600, UTC)
    with session_scope(wall.sessions) as s:
        s.add(
            Alert(
                rule="temperature",
                severity="warning",
                state="resolved",
                site="QT",
                room="F1",
                room_id=wall.photo_id,
                device_id="qt-f1",
                value=17.1,
                limit_value=16,
                details={},
                started_at=started,
                resolved_at=started + timedelta(hours=2),
            )
        )
    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=20) as c:
        login(c, "manager")
        page = c.get(f"/room/{wall.photo_id}").text
        assert len(page.encode()) <= 100 * 1024
        svg = _svg(page, "chart-t")
        drawn = dict(_series(svg, "temperature_c"))
        latest_ms = max(drawn)
        assert drawn.pop(latest_ms) == pytest.approx(17.8)
        assert drawn == pytest.approx(written)
        # the band is the photo store's target, drawn at its height on the chart's scale
        lo, hi, top, bottom = (
            float(x)
            for x in re.search(r'data-lo="([\d.-]+)" data-hi="([\d.-]+)" data-plot="\d+ (\d+) \d+ (\d+)"', svg).groups()
        )
        band = re.search(
            r'<rect class="band" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" '
            r'data-lo="([\d.]+)" data-hi="([\d.]+)"',
            svg,
        )
        assert band and (float(band.group(3)), float(band.group(4))) == (8.0, 16.0)

        def y(v: float) -> float:
            return top + (hi - v) / (hi - lo) * (bottom - top)

        assert float(band.group(1)) == pytest.approx(y(16), abs=0.1)
        assert float(band.group(1)) + float(band.group(2)) == pytest.approx(y(8), abs=0.1)
        # each point of the polyline sits at its value's height
        pts = [
            tuple(map(float, p.split(",")))
            for p in re.search(r"<polyline points=\"([^\"]+)\"", svg.split('data-field="temperature_c"')[1])
            .group(1)
            .split()
        ]
        first_vals = [v for _, v in sorted(_series(svg, "temperature_c"))][: len(pts)]
        assert [p[1] for p in pts] == pytest.approx([y(v) for v in first_vals], abs=0.1)
        assert _series(svg, "dew_point_c")  # the dew point is drawn with the temperature
        span = re.search(r'<rect class="span span-warning"[^>]*data-from="(\d+)" data-to="(\d+)"', svg)
        assert span and int(span.group(1)) == int(started.timestamp() * 1000)
        rh = _svg(page, "chart-rh")
        assert 'data-lo="30" data-hi="50"' in rh and len(_series(rh, "humidity_pct")) == len(written) + 1
        # the sensor row: its value coloured out of band, its age
        row = re.search(r'<tr data-device="qt-f1".*?</tr>', page, re.S).group(0)
        assert 'data-level="warn"' in row and "17.8" in row and "0 phút trước" in row
        assert 'id="room-t"' not in page or "lv-warn" in page

        month = c.get(f"/room/{wall.photo_id}?period=30d").text
        m_svg = _svg(month, "chart-t")
        assert dict(_series(m_svg, "temperature_c")) == pytest.approx(hourly)
        assert "trung bình theo giờ" in month

        # InfluxDB answering garbage / unreachable: the page still renders, saying so
        wall.app.state.history_provider = ClimateHistory(wall.influx.model_copy(update={"url": "http://127.0.0.1:9"}))
        broken = c.get(f"/room/{wall.photo_id}")
        assert broken.status_code == 200 and "Không đọc được lịch sử khí hậu" in broken.text
        wall.app.state.history_provider = ClimateHistory(wall.influx)


def test_box_page_shows_the_climate_since_it_arrived(wall: Wall) -> None:
    wall.app.state.history_provider = ClimateHistory(wall.influx)
    with session_scope(wall.sessions) as s:
        unit = sv.create_shelving(s, "QT", "F1", 1, shelves=1, slots_per_shelf=2, capacity_boxes=2)
        sv.create_fonds(s, "P3", "Sở Văn hóa")
        box = sv.create_box(s, sv.BoxIn("P3", 1, 1, title="Ảnh tư liệu"), "seed")
        sv.place_box(s, box, unit.shelves[0].slots[0].code, "seed")
        box_id = box.id
    now = int(time.time() * 1000)
    client = InfluxClient(wall.influx)
    client.write_lines(
        b"".join(
            b"climate,site=QT,room=F1,device=qt-f1 temperature_c=%.1f,humidity_pct=40 %d\n" % (t, now - k * 60_000)
            for k, t in ((50, 9.0), (30, 15.0), (10, 12.0))
        )
        # before the box arrived: not part of its climate
        + b"climate,site=QT,room=F1,device=qt-f1 temperature_c=30,humidity_pct=90 %d\n" % (now - 5 * 3600_000)
    )
    client.close()
    with httpx.Client(base_url=wall.url, follow_redirects=False, timeout=20) as c:
        login(c, "viewer")
        page = c.get(f"/box/{box_id}").text
        section = page.split('id="box-climate"')[1]
        assert "thấp nhất 9.0 · trung bình 12.0 · cao nhất 15.0 °C" in section
        assert sorted(v for _, v in _series(_svg(page, "box-chart-t"), "temperature_c")) == [9.0, 12.0, 15.0]


def test_room_page_on_a_phone(wall: Wall) -> None:
    from playwright.sync_api import expect

    wall.app.state.history_provider = ClimateHistory(wall.influx)
    now = int(time.time() * 1000)
    client = InfluxClient(wall.influx)
    client.write_lines(
        b"".join(
            b"climate,site=QT,room=F1,device=%s temperature_c=%.2f,humidity_pct=%.1f,dew_point_c=%.1f %d\n"
            % (dev, 13 + 3 * ((k % 48) / 48) + off, 40 + (k % 24) / 3, 2 + off, now - k * 300_000)
            for k in range(288)
            for dev, off in ((b"qt-f1", 0.0), (b"qt-f1b", 0.8))
        )
    )
    client.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 780})
        log_in(page, wall.url, "manager", PASSWORD, f"/room/{wall.photo_id}")
        expect(page.locator("#chart-t")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        expect(page.locator("#sensors")).to_contain_text("qt-f1b")
        page.screenshot(path=str(ARTIFACTS / "room-climate-360.png"), full_page=True)
        page.click("#periods a:nth-child(2)")
        expect(page.locator("#periods a.on")).to_contain_text("7")
