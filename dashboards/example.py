"""The example registry the committed ``dashboards/generated/`` files are made from (same shape as the demo).

Regenerate after changing the generator: ``.venv/bin/python -m dashboards.example``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from collector.settings import InfluxSettings
from dashboards.registry_view import load_sites
from dashboards.render import render
from dashboards.settings import GrafanaSettings
from inventory import registry
from inventory.db import make_engine, make_sessionmaker, session_scope

# Same registry as `kho demo` seeds (kho/cli/demo_cmd.py; a test keeps the two equal). Copied rather than
# imported: dashboards sits below the CLI and must not import it.
SITE = "QT"
SITE_NAME = "Kho lưu trữ tỉnh Quảng Trị"
ORGANISATION = "Trung tâm Lưu trữ lịch sử tỉnh Quảng Trị"
ROOMS = [
    ("P1", "Phòng kho giấy số 1 (paper)", "paper"),
    ("P2", "Phòng kho phim, ảnh (photo/film)", "photo"),
]
NODES = [
    ("qt-p1-a", "native", "P1", True, "ESP32 + SHT31 + MQ-2 (kho firmware)"),
    ("qt-p1-esp", "esphome", "P1", False, "ESP32 + BME280 (ESPHome)"),
    ("qt-p1-tas", "tasmota", "P1", False, "Sonoff TH + SHT3X (Tasmota)"),
    ("qt-p2-a", "native", "P2", True, "ESP32 + SHT31 + MQ-2 (kho firmware)"),
    ("qt-p2-esp", "esphome", "P2", False, "ESP8266 + SHT3X (ESPHome)"),
    ("qt-p2-tas", "tasmota", "P2", False, "Sonoff TH + AM2301 (Tasmota)"),
]
GENERATED = Path(__file__).parent / "generated"


def seed_example_registry(session: Session) -> None:
    """Site QT with a paper room and a photo/film room and six nodes of the three profiles."""
    registry.create_site(session, SITE, SITE_NAME, ORGANISATION)
    for code, name, climate_class in ROOMS:
        registry.create_room(session, SITE, code, name, climate_class)
    for dev, profile, room, smoke, hardware in NODES:
        registry.add_device(session, dev, profile, SITE, room, hardware=hardware, has_smoke=smoke)


def regenerate(out: Path = GENERATED) -> list[Path]:
    """Render the example registry's dashboards and provisioning into ``out``."""
    from kho import db as kho_db

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'example.db'}"
        kho_db.upgrade(url)
        engine = make_engine(url)
        try:
            sessions = make_sessionmaker(engine)
            with session_scope(sessions) as s:
                seed_example_registry(s)
            with session_scope(sessions) as s:
                sites = load_sites(s)
        finally:
            engine.dispose()
    grafana = GrafanaSettings(influx_url="http://influxdb:8086")
    result = render(sites, out, grafana, InfluxSettings())
    return result.dashboards + result.provisioning


if __name__ == "__main__":
    for path in regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else GENERATED):
        print(path)
