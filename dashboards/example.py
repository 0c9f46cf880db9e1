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
from inventory import migrate
from inventory.db import make_engine, make_sessionmaker, session_scope
from inventory.demo_data import seed_demo_registry

GENERATED = Path(__file__).parent / "generated"


def seed_example_registry(session: Session) -> None:
    """The demo registry: site QT with a paper room, a photo/film room and six nodes of the three profiles."""
    seed_demo_registry(session)


def regenerate(out: Path = GENERATED) -> list[Path]:
    """Render the example registry's dashboards and provisioning into ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'example.db'}"
        migrate.upgrade(url)  # the registry tables are all the dashboards read
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
