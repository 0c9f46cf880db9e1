"""The hardened deploy/mosquitto.conf binds client ids to user names on both listeners (plain and TLS)."""

from __future__ import annotations

import shutil
import ssl
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from firmware_configs.esphome import read_secrets
from kho.localservers import ManagedServer, free_port

from ..conftest import let_time_pass, wait_for
from ..firmware.test_deploy import DEPLOY, _self_signed


class Watched:
    """A client that counts its connections and disconnections."""

    def __init__(self, port: int, user: str, password: str, client_id: str, ca: Path | None = None) -> None:
        self.c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311)
        self.c.username_pw_set(user, password)
        if ca is not None:
            self.c.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.connects: list[Any] = []
        self.disconnects = 0
        self._lock = threading.Lock()
        self.c.on_connect = lambda *a: self.connects.append(a[3])
        self.c.on_disconnect = self._gone
        self.c.connect("127.0.0.1", port, 30)
        self.c.loop_start()
        wait_for(lambda: bool(self.connects), 10, "no CONNACK")

    def _gone(self, *args: Any) -> None:
        with self._lock:
            self.disconnects += 1

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def test_deploy_conf_keeps_the_collector_connected(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    broker_dir, fw_dir = tmp_path / "broker", tmp_path / "fw"
    res = CliRunner().invoke(app, ["broker", "credentials", "--out", str(broker_dir), "--firmware-dir", str(fw_dir)])
    assert res.exit_code == 0, res.output
    crt, key = _self_signed(tmp_path)
    plain, tls = free_port(), free_port()
    (tmp_path / "data").mkdir()
    conf = (
        (DEPLOY / "mosquitto.conf")
        .read_text()
        .replace("/etc/mosquitto/kho/", f"{broker_dir}/")
        .replace("/etc/mosquitto/certs/ca.crt", str(crt))
        .replace("/etc/mosquitto/certs/server.crt", str(crt))
        .replace("/etc/mosquitto/certs/server.key", str(key))
        .replace("/var/lib/mosquitto/", f"{tmp_path / 'data'}/")
        .replace("listener 1883", f"listener {plain}")
        .replace("listener 8883", f"listener {tls}")
        .replace("log_dest syslog\n", "")
    )
    (tmp_path / "mosquitto.conf").write_text("user root\n" + conf)
    srv = ManagedServer(
        "mosquitto",
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(tmp_path / "mosquitto.conf")],
        plain,
        tmp_path / "mosquitto.log",
    )
    srv.start()
    made: list[Watched] = []
    try:
        col_pw = (broker_dir / "kho-collector.secret").read_text().strip()
        node_pw = read_secrets(fw_dir / "qt-sht" / "secrets.yaml")["mqtt_password"]
        for port, ca in ((plain, None), (tls, crt)):
            collector = Watched(port, "kho-collector", col_pw, "kho-collector", ca)  # its configured client id
            made.append(collector)
            assert collector.connects[0] == 0
            intruder = Watched(port, "qt-sht", str(node_pw), "kho-collector", ca)  # the collector's id, own account
            made.append(intruder)
            assert intruder.connects[0] == 0
            let_time_pass(1.0, "the broker would evict the collector now")
            assert collector.disconnects == 0 and len(collector.connects) == 1, f"evicted on {port} (plain {plain})"
            collector.close()  # one collector session at a time: the account's id is the same on both listeners
            intruder.close()
    finally:
        for w in made:
            w.close()
        srv.stop()
