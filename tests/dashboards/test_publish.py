"""Publishing through grafana-client to a local server that answers like Grafana's HTTP API."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from collector.settings import InfluxSettings
from dashboards.builders import OVERVIEW_UID, wall_uid
from dashboards.publish import Publisher, PublishError
from dashboards.registry_view import SiteView
from dashboards.settings import GrafanaSettings
from kho.localservers import free_port


def _publisher(url: str, token: str = "good-token", **kw: object) -> Publisher:
    return Publisher(url, token, GrafanaSettings(**kw), InfluxSettings(database="kho"))  # type: ignore[arg-type]


def test_publish_creates_then_is_idempotent(grafana, example_sites: list[SiteView]) -> None:
    report = _publisher(grafana.url).publish(example_sites)
    st = grafana.state
    assert report.grafana_version == "11.3.0"
    assert len(st.datasources) == 1 and len(st.folders) == 1 and len(st.dashboards) == 4
    ds = next(iter(st.datasources.values()))
    assert ds["type"] == "influxdb" and ds["jsonData"]["dbName"] == "kho" and ds["uid"] == "kho-influxdb"
    assert report.count("created") == 6
    folder = next(iter(st.folders))
    assert all(e["folderUid"] == folder for e in st.dashboards.values())
    versions = {u: e["dashboard"]["version"] for u, e in st.dashboards.items()}

    again = _publisher(grafana.url).publish(example_sites)
    assert len(st.datasources) == 1 and len(st.folders) == 1 and len(st.dashboards) == 4  # no duplicates
    assert again.count("unchanged") == 5 and again.count("created") == 0  # folder + 4 dashboards
    assert {u: e["dashboard"]["version"] for u, e in st.dashboards.items()} == versions


def test_republish_after_change_updates_in_place(grafana, example_sites: list[SiteView]) -> None:
    _publisher(grafana.url).publish(example_sites)
    report = _publisher(grafana.url, language="en").publish(example_sites)
    st = grafana.state
    assert len(st.dashboards) == 4 and report.count("updated") == 5  # datasource + 4 dashboards
    wall = st.dashboards[wall_uid("QT")]["dashboard"]
    assert wall["version"] == 2 and "Temperature" in " ".join(p["title"] for p in wall["panels"])


def test_existing_datasource_uid_is_kept(grafana, example_sites: list[SiteView]) -> None:
    grafana.state.datasources[99] = {
        "id": 99,
        "uid": "legacy-uid",
        "name": "kho-influxdb",
        "type": "influxdb",
        "version": 3,
    }
    _publisher(grafana.url).publish(example_sites)
    assert len(grafana.state.datasources) == 1
    wall = grafana.state.dashboards[wall_uid("QT")]["dashboard"]
    assert wall["panels"][0]["datasource"]["uid"] == "legacy-uid"


def test_bad_token_is_one_clear_error(grafana, example_sites: list[SiteView]) -> None:
    with pytest.raises(PublishError, match=r"rejected the token \(401\)"):
        _publisher(grafana.url, token="wrong").publish(example_sites)
    assert grafana.state.dashboards == {}


def test_unreachable_server(example_sites: list[SiteView]) -> None:
    with pytest.raises(PublishError, match="unreachable"):
        _publisher(f"http://127.0.0.1:{free_port()}", timeout_s=3).publish(example_sites)


def test_too_old_grafana_is_refused_before_any_write(grafana, example_sites: list[SiteView]) -> None:
    grafana.state.version = "8.5.27"
    with pytest.raises(PublishError, match=r"Grafana 8\.5\.27 .* too old"):
        _publisher(grafana.url).publish(example_sites)
    assert not [c for c in grafana.state.calls if c[0] != "GET"]


def test_version_mismatch_is_retried_on_latest_version(grafana, example_sites: list[SiteView]) -> None:
    grafana.state.reject_saves = ["version-mismatch"]
    report = _publisher(grafana.url).publish(example_sites)
    assert len(grafana.state.dashboards) == 4 and report.count("created") == 6
    assert grafana.state.reject_saves == []


def test_name_exists_is_explained(grafana, example_sites: list[SiteView]) -> None:
    grafana.state.reject_saves = ["name-exists"]
    with pytest.raises(PublishError, match="another dashboard titled"):
        _publisher(grafana.url).publish(example_sites)


def test_publish_command(grafana, example_sessions, sqlite_url: str, tmp_path, monkeypatch) -> None:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path))
    runner = CliRunner()
    res = runner.invoke(app, ["grafana", "publish", "--url", grafana.url, "--token", "good-token"])
    assert res.exit_code == 0, res.output
    assert "4 created" not in res.output and "6 created" in res.output
    assert OVERVIEW_UID in grafana.state.dashboards
    res = runner.invoke(app, ["grafana", "publish", "--url", grafana.url, "--token", "bad"])
    assert res.exit_code == 1 and "401" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["grafana", "publish", "--url", "ftp://x", "--token", "t"])
    assert res.exit_code == 1 and "http://" in res.output
