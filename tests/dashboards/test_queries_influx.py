"""Every query of every generated dashboard runs against the real influxd with demo-like data and returns series."""

from __future__ import annotations

import time

import httpx
import pytest

from dashboards.builders import all_dashboards
from dashboards.registry_view import SiteView
from dashboards.validate import iter_queries
from kho.localservers import InfluxServer

DS = "kho-influxdb"


def _demo_lines(sites: list[SiteView], now_ms: int) -> list[str]:
    """25 h of 5-minute readings per node, one offline node, one smoke event (schema in collector/influx_schema.py)."""
    lines = []
    for site in sites:
        for room in site.rooms:
            mid_t = sum(room.limits.target_t_c) / 2
            mid_rh = sum(room.limits.target_rh_pct) / 2
            for n, dev in enumerate(room.devices):
                tags = f"site={site.code},room={room.code},device={dev}"
                for i in range(300):
                    ts = now_ms - i * 300_000
                    t, rh = mid_t + (i % 12) * 0.2 + n, mid_rh + (i % 7) * 0.5
                    fields = f"temperature_c={t:.2f},humidity_pct={rh:.2f},dew_point_c={t - 8:.2f},battery_v=3.9"
                    if dev in room.smoke_devices:  # only nodes with a detector report smoke
                        smoke = 1 if i == 3 else 0
                        fields += f",smoke={smoke}i,smoke_level={0.4 if smoke else 0.02}"
                    lines.append(f"climate,{tags} {fields} {ts}")
                lines.append(f"device_status,{tags} online=1i {now_ms - 3_600_000}")
                if n == len(room.devices) - 1:  # the last node of each room has just gone offline
                    lines.append(f"device_status,{tags} online=0i {now_ms - 600_000}")
    return lines


def _substitute(query: str) -> str:
    """What Grafana does before sending a query: macros and template variables filled in."""
    return query.replace("$timeFilter", "time > now() - 24h").replace("$__interval", "5m").replace("$device", ".*")


@pytest.fixture
def loaded_db(influxd: InfluxServer, influx_db_name: str, example_sites: list[SiteView]) -> str:
    httpx.post(f"{influxd.url}/query", params={"q": f'CREATE DATABASE "{influx_db_name}"'}).raise_for_status()
    body = "\n".join(_demo_lines(example_sites, int(time.time() * 1000)))
    r = httpx.post(f"{influxd.url}/write", params={"db": influx_db_name, "precision": "ms"}, content=body)
    assert r.status_code == 204, r.text
    return influx_db_name


def test_every_query_parses_and_returns_series(
    influxd: InfluxServer, loaded_db: str, example_sites: list[SiteView]
) -> None:
    checked = 0
    for name, board in all_dashboards(example_sites, DS).items():
        for where, query in iter_queries(board):
            r = httpx.get(f"{influxd.url}/query", params={"db": loaded_db, "q": _substitute(query), "epoch": "ms"})
            assert r.status_code == 200, f"{name} {where}: {r.text}"
            result = r.json()["results"][0]
            assert "error" not in result, f"{name} {where}: {result['error']}\n{query}"
            assert result.get("series"), f"{name} {where} returned no series:\n{query}"
            checked += 1
    assert checked > 30


def test_queries_compute_the_right_values(influxd: InfluxServer, loaded_db: str, example_sites: list[SiteView]) -> None:
    def value(board: str, title: str) -> float:
        b = all_dashboards(example_sites, DS)[board]
        panel = next(p for p in b["panels"] if p["title"] == title)
        r = httpx.get(f"{influxd.url}/query", params={"db": loaded_db, "q": _substitute(panel["targets"][0]["query"])})
        return float(r.json()["results"][0]["series"][0]["values"][-1][1])

    # P1 has three nodes, the last (qt-p1-tas) went offline; nobody reports smoke now (the event was 15 min ago)
    assert value("wall-QT.json", "P1 · Nút mất kết nối") == 1
    assert value("wall-QT.json", "P1 · Khói") == 0
    # latest T of P1: nodes at mid 20 + 0, 1, 2 → mean 21
    assert value("wall-QT.json", "P1 · Phòng kho giấy số 1 (paper) · Nhiệt độ") == pytest.approx(21.0)
    assert value("room-QT-P2.json", "Dao động nhiệt 24 h") == pytest.approx(2.2)
