"""Write the generated dashboards and provisioning files to a directory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from collector.settings import InfluxSettings
from dashboards.builders import all_dashboards
from dashboards.panels import Json
from dashboards.provisioning import DEFAULT_DASHBOARDS_PATH, dashboards_provisioning, datasource_provisioning
from dashboards.registry_view import SiteView
from dashboards.settings import GrafanaSettings
from dashboards.validate import validate_dashboard


@dataclass(frozen=True, slots=True)
class RenderResult:
    """Files written by :func:`render`."""

    dashboards: list[Path]
    provisioning: list[Path]


def dump(dashboard: Json) -> str:
    """Stable, diff-friendly JSON text of a dashboard."""
    return json.dumps(dashboard, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def render(
    sites: list[SiteView],
    out: Path,
    grafana: GrafanaSettings,
    influx: InfluxSettings,
    dashboards_path: str = DEFAULT_DASHBOARDS_PATH,
) -> RenderResult:
    """Write ``out/dashboards/*.json`` and ``out/provisioning/{datasources,dashboards}/*.yaml``.

    Dashboards of rooms that no longer exist are removed so the provider does not keep serving them.
    """
    boards = all_dashboards(sites, grafana.datasource_uid, grafana.language)
    for name, board in boards.items():
        problems = validate_dashboard(board, {grafana.datasource_uid})
        if problems:  # a bug in the generator, never the user's input
            raise AssertionError(f"generated {name} is invalid: {'; '.join(problems)}")
    ddir = out / "dashboards"
    ddir.mkdir(parents=True, exist_ok=True)
    for stale in ddir.glob("*.json"):
        if stale.name not in boards:
            stale.unlink()
    written = []
    for name, board in boards.items():
        path = ddir / name
        path.write_text(dump(board), encoding="utf-8")
        written.append(path)
    pdir = out / "provisioning"
    (pdir / "datasources").mkdir(parents=True, exist_ok=True)
    (pdir / "dashboards").mkdir(parents=True, exist_ok=True)
    ds_file = pdir / "datasources" / "kho-influxdb.yaml"
    ds_file.write_text(datasource_provisioning(grafana, influx), encoding="utf-8")
    db_file = pdir / "dashboards" / "kho.yaml"
    db_file.write_text(dashboards_provisioning(grafana, dashboards_path), encoding="utf-8")
    return RenderResult(written, [ds_file, db_file])
