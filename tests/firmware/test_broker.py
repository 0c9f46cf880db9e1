"""Generated password file and ACL enforced by a real Mosquitto; rotation of one node's password."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from collector.settings import InfluxSettings
from firmware_configs.broker.passwd import hash_password, read_passwd, verify_password
from firmware_configs.esphome import read_secrets

from ..conftest import let_time_pass, wait_for


def _credentials(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> CliRunner:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    res = CliRunner().invoke(
        app,
        ["broker", "credentials", "--out", str(tmp_path / "broker"), "--firmware-dir", str(tmp_path / "fw"), *extra],
    )
    assert res.exit_code == 0, res.output
    return CliRunner()


def _conf(tmp_path: Path) -> str:
    # pytest's temporary directories are private to root: keep the test broker from dropping to `mosquitto`.
    return f"password_file {tmp_path / 'broker' / 'passwd'}\nacl_file {tmp_path / 'broker' / 'acl'}\n"


def _pw(tmp_path: Path, user: str) -> str:
    secret = tmp_path / "broker" / f"{user}.secret"
    if secret.exists():
        return secret.read_text().strip()
    return read_secrets(tmp_path / "fw" / user / "secrets.yaml")["mqtt_password"]


def test_hash_format_matches_mosquitto_passwd(tmp_path: Path) -> None:
    f = tmp_path / "pw"
    f.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(f), "alice", "s3cret"], check=True)
    theirs = read_passwd(f)["alice"]
    assert theirs.startswith("$7$101$") and verify_password("s3cret", theirs)
    assert not verify_password("wrong", theirs)
    ours = hash_password("s3cret")
    assert ours.split("$")[1:3] == theirs.split("$")[1:3] and len(ours) == len(theirs)


def test_files_from_registry(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    _credentials(tmp_path, sqlite_url, monkeypatch)
    entries = read_passwd(tmp_path / "broker" / "passwd")
    assert set(entries) == {
        "kho-collector",
        "kho-admin",
        "qt-sht",
        "qt-bme",
        "qt-dht",
        "qt-tas",
        "qt-nat",
        "hn-sht",
        "qt-8266",
        "qt-8266b",
    }
    assert all(e.startswith("$7$") for e in entries.values())
    assert (tmp_path / "broker" / "passwd").stat().st_mode & 0o007 == 0  # not world-readable
    acl = (tmp_path / "broker" / "acl").read_text()
    assert "user qt-tas\ntopic write tele/qt-tas/#\ntopic write stat/qt-tas/#\ntopic read cmnd/qt-tas/#" in acl
    assert "user qt-nat\ntopic write kho/qt-nat/#" in acl
    assert "user qt-sht\ntopic write qt-sht/#" in acl
    assert "user kho-collector\ntopic read #" in acl
    pw = _pw(tmp_path, "qt-sht")
    assert verify_password(pw, entries["qt-sht"])
    assert pw not in (tmp_path / "broker" / "passwd").read_text()  # only hashes on the broker side
    # a second run keeps every existing password
    before = (tmp_path / "broker" / "passwd").read_text()
    _credentials(tmp_path, sqlite_url, monkeypatch)
    assert (tmp_path / "broker" / "passwd").read_text() == before


def test_real_mosquitto_enforces_accounts_and_acl(
    node_sessions,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch,
    make_mosquitto,
    clients,
    influxd,
    influx_db_name,
    make_collector,
) -> None:
    _credentials(tmp_path, sqlite_url, monkeypatch)
    broker = make_mosquitto(extra_conf=_conf(tmp_path), anonymous=False)

    anon = clients(broker.port)
    assert anon.connect().is_failure  # anonymous refused
    wrong = clients(broker.port, "qt-sht", "not-the-password")
    assert wrong.connect().is_failure  # wrong password refused
    unknown = clients(broker.port, "intruder", _pw(tmp_path, "qt-sht"))
    assert unknown.connect().is_failure

    col = clients(broker.port, "kho-collector", _pw(tmp_path, "kho-collector"))
    assert col.connect() == 0
    col.subscribe("#")
    shared = clients(broker.port, "kho-collector", _pw(tmp_path, "kho-collector"))
    assert shared.connect() == 0
    shared.subscribe("$share/kho/+/sensor/+/state")  # scaled-out collectors (shared subscriptions) pass the ACL too
    spy = clients(broker.port, "qt-bme", _pw(tmp_path, "qt-bme"))
    assert spy.connect() == 0
    spy.subscribe("#")  # a node may read nothing

    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    collector = make_collector(
        broker.port, influx, node_sessions, username="kho-collector", password=_pw(tmp_path, "kho-collector")
    )

    sht = clients(broker.port, "qt-sht", _pw(tmp_path, "qt-sht"))
    assert sht.connect() == 0
    sht.publish("qt-bme/sensor/temperature_c/state", "99.00")  # forging another node's topic
    sht.publish("kho/qt-nat/telemetry", '{"temperature_c": 99}')
    sht.publish("qt-sht/sensor/temperature_c/state", "21.50")  # its own topic
    tas = clients(broker.port, "qt-tas", _pw(tmp_path, "qt-tas"))
    assert tas.connect() == 0
    tas.publish("tele/qt-tas/SENSOR", '{"SHT3X":{"Temperature":19.5,"Humidity":40.0}}')
    tas.publish("tele/qt-sht/SENSOR", '{"SHT3X":{"Temperature":99,"Humidity":99}}')
    admin = clients(broker.port, "kho-admin", _pw(tmp_path, "kho-admin"))
    assert admin.connect() == 0
    admin.publish("cmnd/qt-tas/TelePeriod", "60")

    wait_for(lambda: len(col.messages) >= 3, 10, lambda: f"the collector's account got only {col.topics()}")
    let_time_pass(0.5, "a forged or unreadable message would arrive now")
    assert sorted(col.topics()) == ["cmnd/qt-tas/TelePeriod", "qt-sht/sensor/temperature_c/state", "tele/qt-tas/SENSOR"]
    assert spy.messages == []
    assert shared.topics() == ["qt-sht/sensor/temperature_c/state"]

    collector.wait_idle(20)

    def climate_rows() -> list:
        r = httpx.get(
            f"{influxd.url}/query",
            params={"db": influx_db_name, "q": 'SELECT "temperature_c", "device" FROM "climate"'},
        )
        return [
            dict(zip(s["columns"], v, strict=True))
            for s in r.json()["results"][0].get("series", [])
            for v in s["values"]
        ]

    rows = wait_for(lambda: len(got := climate_rows()) >= 2 and got, 10, "fewer than two climate points landed")
    assert sorted((r["device"], r["temperature_c"]) for r in rows) == [("qt-sht", 21.5), ("qt-tas", 19.5)]


def test_rotation_changes_only_one_node(
    node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch, make_mosquitto, clients
) -> None:
    from kho.cli import app

    _credentials(tmp_path, sqlite_url, monkeypatch)
    passwd = tmp_path / "broker" / "passwd"
    before_lines = passwd.read_text().splitlines()
    old_pw = _pw(tmp_path, "qt-sht")
    other_pw = _pw(tmp_path, "qt-bme")
    broker = make_mosquitto(extra_conf=_conf(tmp_path), anonymous=False)
    assert clients(broker.port, "qt-sht", old_pw).connect() == 0

    res = CliRunner().invoke(
        app, ["broker", "rotate", "qt-sht", "--out", str(tmp_path / "broker"), "--firmware-dir", str(tmp_path / "fw")]
    )
    assert res.exit_code == 0, res.output
    after_lines = passwd.read_text().splitlines()
    changed = [a for a, b in zip(before_lines, after_lines, strict=True) if a != b]
    assert [c.split(":")[0] for c in changed] == ["qt-sht"]
    new_pw = _pw(tmp_path, "qt-sht")
    assert new_pw != old_pw and _pw(tmp_path, "qt-bme") == other_pw

    assert broker.proc is not None
    broker.proc.send_signal(1)  # SIGHUP: mosquitto reloads the password file
    wait_for(lambda: clients(broker.port, "qt-sht", old_pw).connect().is_failure, 10, "old password still accepted")
    assert clients(broker.port, "qt-sht", new_pw).connect() == 0
    assert clients(broker.port, "qt-bme", other_pw).connect() == 0

    res = CliRunner().invoke(app, ["broker", "rotate", "nope", "--out", str(tmp_path / "broker")])
    assert res.exit_code != 0 and "no device nope" in str(res.exception)
