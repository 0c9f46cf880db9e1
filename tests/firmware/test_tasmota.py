"""Tasmota console commands for nodes of the tasmota profile."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from firmware_configs.esphome import Node
from firmware_configs.settings import FirmwareSettings
from firmware_configs.tasmota import tasmota_commands


def test_backlog_line() -> None:
    node = Node("qt-tas", "tasmota", "qt-tas", "sonoff-th", False, 5, "QT", "P2", {})
    line = tasmota_commands(node, FirmwareSettings(broker_host="10.1.2.3", broker_port=8883), "pw123")
    assert line.startswith("Backlog ")
    cmds = dict(c.strip().split(" ", 1) for c in line.removeprefix("Backlog ").split(";"))
    assert cmds["MqttHost"] == "10.1.2.3" and cmds["MqttPort"] == "8883"
    assert cmds["MqttUser"] == "qt-tas" and cmds["MqttPassword"] == "pw123" and cmds["Topic"] == "qt-tas"
    assert cmds["FullTopic"] == "%prefix%/%topic%/"
    assert cmds["TelePeriod"] == "10"  # Tasmota's minimum
    slow = Node("x", "tasmota", "x", "", False, 86400, "QT", "P2", {})
    assert "TelePeriod 3600" in tasmota_commands(slow, FirmwareSettings(), None)
    assert "MqttPassword <MQTT_PASSWORD>" in tasmota_commands(slow, FirmwareSettings(), None)


def test_password_from_broker_credentials(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    from firmware_configs.esphome import read_secrets
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    runner = CliRunner()
    res = runner.invoke(app, ["firmware", "render", "--device", "qt-tas"])
    assert res.exit_code == 0, res.output
    path = tmp_path / "state" / "firmware" / "qt-tas" / "tasmota-commands.txt"
    assert "<MQTT_PASSWORD>" in path.read_text()
    assert runner.invoke(app, ["broker", "credentials"]).exit_code == 0
    assert runner.invoke(app, ["firmware", "render", "--device", "qt-tas"]).exit_code == 0
    secrets = read_secrets(tmp_path / "state" / "firmware" / "qt-tas" / "secrets.yaml")
    assert set(secrets) == {"mqtt_password"}  # no ESPHome Wi-Fi/OTA keys for a Tasmota node
    pw = secrets["mqtt_password"]
    assert f"MqttPassword {pw};" in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
