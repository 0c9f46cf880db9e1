"""Rendered ESPHome configs pass `esphome config`; a broken template does not; secrets stay separate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firmware_configs.esphome import TEMPLATES, Node, esphome_name, read_secrets, render_esphome
from firmware_configs.expected import esphome_publications, load_config
from firmware_configs.hardware import parse_hardware
from firmware_configs.settings import FirmwareSettings
from inventory import registry
from inventory.db import session_scope
from inventory.errors import RegistryError


def _render_all(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Path:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "fw"
    res = CliRunner().invoke(app, ["firmware", "render", "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    return out


def test_every_rendered_config_passes_esphome_config(
    node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch, esphome_config
) -> None:
    out = _render_all(tmp_path, sqlite_url, monkeypatch, "--all", "--site", "QT", "--broker-host", "10.0.0.5")
    configs = sorted(out.glob("*/*.yaml"))
    configs = [c for c in configs if c.name != "secrets.yaml"]
    assert [c.stem for c in configs] == ["qt-8266", "qt-8266b", "qt-bme", "qt-dht", "qt-sht"]  # not HN's
    assert (out / "qt-tas" / "tasmota-commands.txt").exists() and not (out / "qt-nat").exists()
    for cfg in configs:
        res = esphome_config(cfg)
        assert res.returncode == 0, f"{cfg.name}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        assert "Configuration is valid!" in res.stdout + res.stderr
        data = load_config(cfg.read_text())
        assert "api" not in data  # MQTT only
        assert data["mqtt"]["broker"] == "10.0.0.5"
        assert data["mqtt"]["password"] == "!secret mqtt_password"
        assert data["mqtt"]["will_message"] == {
            "topic": f"{cfg.stem}/status",
            "payload": "offline",
            "retain": True,
            "qos": 1,
        }
        secrets = read_secrets(cfg.parent / "secrets.yaml")
        assert set(secrets) == {"wifi_ssid", "wifi_password", "ota_password", "mqtt_password"}
        assert secrets["ota_password"] not in cfg.read_text()  # no secret value in the config
        assert (cfg.parent / "secrets.yaml").stat().st_mode & 0o077 == 0


def test_sensor_platforms_and_object_ids(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    out = _render_all(tmp_path, sqlite_url, monkeypatch, "--all")
    platforms = {
        c.parent.name: [s["platform"] for s in load_config(c.read_text())["sensor"]] for c in out.glob("*/qt-*.yaml")
    }
    assert platforms == {
        "qt-sht": ["sht3xd"],
        "qt-bme": ["bme280_i2c", "adc", "adc"],
        "qt-dht": ["dht"],
        "qt-8266": ["sht3xd"],
        "qt-8266b": ["bme280_i2c", "adc"],
    }
    assert "esp8266" in load_config((out / "qt-8266" / "qt-8266.yaml").read_text())
    bme = esphome_publications((out / "qt-bme" / "qt-bme.yaml").read_text())
    assert {p.topic for p in bme} == {
        "qt-bme/status",
        "qt-bme/sensor/temperature_c/state",
        "qt-bme/sensor/humidity_pct/state",
        "qt-bme/sensor/smoke_level/state",
        "qt-bme/sensor/battery_v/state",
    }
    dht = load_config((out / "qt-dht" / "qt-dht.yaml").read_text())
    assert dht["binary_sensor"][0]["state_topic"] == "qt-dht/binary_sensor/smoke/state"
    assert (out / "hn-sht" / "hn-sht.yaml").exists()


def test_topics_command_lists_what_the_node_publishes(
    node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch
) -> None:
    from kho.cli import app

    out = _render_all(tmp_path, sqlite_url, monkeypatch, "--all")
    runner = CliRunner()
    res = runner.invoke(app, ["firmware", "topics", "--device", "qt-dht", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "qt-dht/binary_sensor/smoke/state  ON" in res.output and "qt-dht/status  online  (retained)" in res.output
    res = runner.invoke(app, ["firmware", "topics", "--device", "qt-tas", "--out", str(out)])
    assert "tele/qt-tas/SENSOR" in res.output and "tele/qt-tas/LWT  Online" in res.output
    res = runner.invoke(app, ["firmware", "topics", "--device", "qt-nat", "--out", str(out)])
    assert res.exit_code == 1 and "kho/qt-nat/telemetry" in res.output


def test_rerender_keeps_existing_secrets(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    out = _render_all(tmp_path, sqlite_url, monkeypatch, "--device", "qt-sht")
    path = out / "qt-sht" / "secrets.yaml"
    path.write_text(path.read_text().replace('wifi_ssid: "CHANGE-ME"', 'wifi_ssid: "KhoWifi"'))
    before = read_secrets(path)
    _render_all(tmp_path, sqlite_url, monkeypatch, "--device", "qt-sht")
    assert read_secrets(path) == before and before["wifi_ssid"] == "KhoWifi"


def test_broken_template_fails_esphome_config(tmp_path: Path, esphome_config) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    tpl = templates / "esphome_node.yaml.j2"
    tpl.write_text(tpl.read_text().replace("platform: sht3xd", "platform: sht3x_does_not_exist"))
    node = Node("qt-sht", "esphome", "qt-sht", "esp32-sht3x", False, 60, "QT", "P1", {})
    d = tmp_path / "node"
    d.mkdir()
    (d / "node.yaml").write_text(render_esphome(node, FirmwareSettings(), templates))
    (d / "secrets.yaml").write_text(
        'wifi_ssid: "a"\nwifi_password: "bbbbbbbb"\nota_password: "c"\nmqtt_password: "d"\n'
    )
    res = esphome_config(d / "node.yaml")
    assert res.returncode != 0
    assert "sht3x_does_not_exist" in res.stdout + res.stderr
    # and a config that references a secret missing from secrets.yaml fails too
    (d / "secrets.yaml").write_text('wifi_ssid: "a"\n')
    (d / "node.yaml").write_text(render_esphome(node, FirmwareSettings()))
    assert esphome_config(d / "node.yaml").returncode != 0


def test_hardware_parsing_and_errors() -> None:
    hw = parse_hardware("esp32-bme280+mq2", has_smoke=True)
    assert (hw.climate, hw.mq2, hw.smoke_relay) == ("bme280", True, False)
    assert parse_hardware("esp32-sht3x", has_smoke=True).smoke_relay  # a smoke node without MQ-2: relay input
    assert parse_hardware("esp32-dht22", False, {"pins": {"dht": 16}}).pins["dht"] == 16
    with pytest.raises(RegistryError, match="not an ESPHome node"):
        parse_hardware("rpi-sht3x", False)
    with pytest.raises(RegistryError, match="no climate sensor"):
        parse_hardware("esp32-mq2", True)
    assert parse_hardware("ESP8266 + SHT3X (ESPHome)", False).board == "d1_mini"
    with pytest.raises(RegistryError, match="one analog input"):
        parse_hardware("esp8266-sht3x+mq2+battery", True)
    with pytest.raises(RegistryError, match="ADC1"):
        parse_hardware("esp32-bme280+mq2", True, {"pins": {"mq2": 4}})
    assert esphome_name("QT.Node_01") == "qt-node-01"


def test_cli_errors_are_one_line(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path))
    runner = CliRunner()
    res = runner.invoke(app, ["firmware", "render"])
    assert res.exit_code == 1 and "--device" in res.output
    res = runner.invoke(app, ["firmware", "render", "--device", "nope", "--out", str(tmp_path)])
    assert res.exit_code != 0 and isinstance(res.exception, RegistryError) and "no device nope" in str(res.exception)
    with session_scope(node_sessions) as s:
        registry.add_device(s, "qt-bad", "esphome", "QT", "P1", hardware="rpi-sht3x")
    res = runner.invoke(app, ["firmware", "render", "--all", "--out", str(tmp_path / "all")])
    assert res.exit_code == 1 and "qt-bad" in res.output and "not an ESPHome node" in res.output
    assert (tmp_path / "all" / "qt-sht" / "qt-sht.yaml").exists()  # the other nodes were still rendered
