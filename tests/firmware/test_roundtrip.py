"""What a rendered config says a node publishes goes over real Mosquitto, through the real collector, to InfluxDB."""

from __future__ import annotations

from pathlib import Path

import httpx
from typer.testing import CliRunner

from collector.settings import InfluxSettings
from firmware_configs.expected import esphome_publications, tasmota_publications

from ..conftest import let_time_pass, wait_for


def _points(influx: InfluxSettings, q: str) -> list[dict[str, object]]:
    r = httpx.get(f"{influx.url}/query", params={"db": influx.database, "q": q})
    r.raise_for_status()
    rows: list[dict[str, object]] = []
    for s in r.json()["results"][0].get("series", []):
        for v in s["values"]:
            rows.append({**dict(zip(s["columns"], v, strict=True)), **(s.get("tags") or {})})
    return rows


def test_rendered_topics_and_payloads_land_in_influxdb(
    node_sessions,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch,
    make_mosquitto,
    influxd,
    influx_db_name,
    make_collector,
    clients,
) -> None:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "fw"
    assert CliRunner().invoke(app, ["firmware", "render", "--all", "--out", str(out)]).exit_code == 0

    broker = make_mosquitto()
    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    collector = make_collector(broker.port, influx, node_sessions)

    plan: list[tuple[str, list]] = []
    for dev in ("qt-sht", "qt-bme", "qt-dht", "qt-8266"):
        plan.append((dev, esphome_publications((out / dev / f"{dev}.yaml").read_text())))
    plan.append(("qt-tas", tasmota_publications((out / "qt-tas" / "tasmota-commands.txt").read_text())))
    sent = 0
    for dev, pubs in plan:
        node = clients(broker.port, client_id=dev)
        assert node.connect() == 0
        for pub in pubs:
            if pub.example == "OFF":
                let_time_pass(0.05, "a later state, so it is a separate point")
            node.publish(pub.topic, pub.example, retain=pub.retain)
            sent += 1
    assert sent >= 18

    def landed() -> bool:
        return len(_points(influx, 'SELECT last("temperature_c") FROM "climate" GROUP BY "device"')) >= 5

    wait_for(landed, 30, "not every node's climate points landed")
    collector.wait_idle(20)
    rows = _points(
        influx,
        'SELECT last("temperature_c") AS t, last("humidity_pct") AS rh FROM "climate" '
        'GROUP BY "device", "site", "room"',
    )
    by_dev = {r["device"]: r for r in rows}
    assert set(by_dev) == {"qt-sht", "qt-bme", "qt-dht", "qt-tas", "qt-8266"}
    for r in by_dev.values():
        assert r["t"] == 21.5 and r["rh"] == 51.0 and r["site"] == "QT"
    assert by_dev["qt-bme"]["room"] == "P2" and by_dev["qt-sht"]["room"] == "P1"
    extra = _points(
        influx, 'SELECT last("smoke_level") AS lvl, last("battery_v") AS bat FROM "climate" WHERE "device" = \'qt-bme\''
    )
    assert extra[0]["lvl"] == 0.045 and extra[0]["bat"] == 3.91
    smoke = [
        r["smoke"]
        for r in _points(influx, 'SELECT "smoke" FROM "climate" WHERE "device" = \'qt-dht\' AND "smoke" >= 0')
    ]
    assert smoke == [1.0, 0.0]  # ON then OFF from the detector relay's binary sensor
    status = _points(influx, 'SELECT last("online") AS online FROM "device_status" GROUP BY "device"')
    assert {r["device"]: r["online"] for r in status} == {
        "qt-sht": 1.0,
        "qt-bme": 1.0,
        "qt-dht": 1.0,
        "qt-tas": 1.0,
        "qt-8266": 1.0,
    }
    assert collector.counters.rejected_total == 0
