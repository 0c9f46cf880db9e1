"""With the generated broker settings no node can take the collector's client id (and its session)."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from collector.service import Collector
from collector.settings import InfluxSettings
from firmware_configs.esphome import read_secrets

from ..collector.conftest import count_points
from ..conftest import let_time_pass, wait_for

N = 300


def _credentials(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, extra: str = "") -> Path:
    from kho.cli import app

    if extra:
        monkeypatch.setenv("KHO_FIRMWARE__EXTRA_COLLECTOR_USERS", extra)
    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "broker"
    res = CliRunner().invoke(app, ["broker", "credentials", "--out", str(out), "--firmware-dir", str(tmp_path / "fw")])
    assert res.exit_code == 0, res.output
    return out


def _pw(tmp_path: Path, user: str) -> str:
    secret = tmp_path / "broker" / f"{user}.secret"
    if secret.exists():
        return secret.read_text().strip()
    return str(read_secrets(tmp_path / "fw" / user / "secrets.yaml")["mqtt_password"])


def _takeover(tmp_path, broker, clients, influx, make_collector, node_sessions) -> tuple[Collector, int]:
    """A node connects with the collector's client id while readings flow; (the collector, its connections before)."""
    collector = make_collector(
        broker.port,
        influx,
        node_sessions,
        client_id="kho-collector",
        username="kho-collector",
        password=_pw(tmp_path, "kho-collector"),
    )
    gen = collector.session.connections
    node = clients(broker.port, "qt-nat", _pw(tmp_path, "qt-nat"))
    assert node.connect() == 0
    t0 = int(time.time()) - 60
    for i in range(N):
        if i == N // 2:
            intruder = clients(broker.port, "qt-sht", _pw(tmp_path, "qt-sht"), client_id="kho-collector")
            assert intruder.connect() == 0
            let_time_pass(0.5, "the broker hands the id over now, if it would, while readings still flow")
        node.c.publish("kho/qt-nat/telemetry", orjson.dumps({"ts": t0 + i / 1000, "temperature_c": 20.0}), qos=1)
    wait_for(lambda: node.acked >= N, 20, "broker did not acknowledge every reading")
    wait_for(lambda: collector.health()["broker_connected"], 20, "collector did not reconnect")
    return collector, gen


def _node_points(influx: InfluxSettings) -> int:
    return count_points(influx, where="\"device\" = 'qt-nat'")


def test_node_cannot_take_the_collectors_client_id(
    node_sessions, sqlite_url, tmp_path, monkeypatch, make_mosquitto, clients, influxd, influx_db_name, make_collector
) -> None:
    broker_dir = _credentials(tmp_path, sqlite_url, monkeypatch)
    conf = (broker_dir / "kho-broker.conf").read_text()
    assert "use_username_as_clientid true" in conf
    broker = make_mosquitto(extra_conf=conf, anonymous=False)

    # the collector's account itself stays closed to a node: its password is not the node's
    assert clients(broker.port, "kho-collector", _pw(tmp_path, "qt-sht")).connect().is_failure

    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    collector, gen = _takeover(tmp_path, broker, clients, influx, make_collector, node_sessions)
    wait_for(lambda: _node_points(influx) >= N, 20, lambda: f"only {_node_points(influx)} of {N} readings landed")
    assert collector.session.connections == gen  # the collector's connection was never taken over
    assert _node_points(influx) == N  # and it kept every message


def test_without_the_setting_a_node_takes_the_collector_over(
    node_sessions, sqlite_url, tmp_path, monkeypatch, make_mosquitto, clients, influxd, influx_db_name, make_collector
) -> None:
    """The weakness the generated settings close: passwd and ACL alone let a node evict the collector."""
    broker_dir = _credentials(tmp_path, sqlite_url, monkeypatch)
    conf = f"password_file {broker_dir / 'passwd'}\nacl_file {broker_dir / 'acl'}\n"
    broker = make_mosquitto(extra_conf=conf, anonymous=False)
    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    collector, gen = _takeover(tmp_path, broker, clients, influx, make_collector, node_sessions)
    wait_for(lambda: collector.session.connections > gen, 20, "the node did not take the collector's connection over")


def test_several_collectors_each_with_an_account_share_the_stream(
    node_sessions, sqlite_url, tmp_path, monkeypatch, make_mosquitto, clients, influxd, influx_db_name, make_collector
) -> None:
    """With client ids bound to user names, scaled-out collectors need one account each; together they get all."""
    broker_dir = _credentials(tmp_path, sqlite_url, monkeypatch, extra='["kho-collector-2"]')
    assert "user kho-collector-2\ntopic read #" in (broker_dir / "acl").read_text()
    broker = make_mosquitto(extra_conf=(broker_dir / "kho-broker.conf").read_text(), anonymous=False)
    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    cols = [
        make_collector(
            broker.port,
            influx,
            node_sessions,
            client_id=user,
            username=user,
            password=_pw(tmp_path, user),
            shared_group="kho",
        )
        for user in ("kho-collector", "kho-collector-2")
    ]
    node = clients(broker.port, "qt-nat", _pw(tmp_path, "qt-nat"))
    assert node.connect() == 0
    t0 = int(time.time()) - 60
    for i in range(N):
        node.c.publish("kho/qt-nat/telemetry", orjson.dumps({"ts": t0 + i / 1000, "temperature_c": 20.0}), qos=1)
    wait_for(lambda: node.acked >= N, 20, "broker did not acknowledge every reading")
    wait_for(lambda: _node_points(influx) >= N, 30, "readings lost")
    assert _node_points(influx) == N
    assert all(c.health()["readings_total"] > 0 for c in cols)  # both took part
    assert all(c.session.connections == 1 for c in cols)  # neither evicted the other
