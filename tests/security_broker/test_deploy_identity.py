"""The hardened deploy/mosquitto.conf binds client ids to user names on both listeners (plain and TLS)."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from firmware_configs.esphome import read_secrets

from ..conftest import let_time_pass, wait_for
from ..firmware.test_deploy import deployed_broker


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
    made: list[Watched] = []
    with deployed_broker(sqlite_url, tmp_path, monkeypatch) as b:
        try:
            col_pw = (b.broker_dir / "kho-collector.secret").read_text().strip()
            node_pw = read_secrets(b.fw_dir / "qt-sht" / "secrets.yaml")["mqtt_password"]
            for port, ca in ((b.plain, None), (b.tls, b.ca)):
                collector = Watched(port, "kho-collector", col_pw, "kho-collector", ca)  # its configured client id
                made.append(collector)
                assert collector.connects[0] == 0
                intruder = Watched(port, "qt-sht", str(node_pw), "kho-collector", ca)  # the collector's id
                made.append(intruder)
                assert intruder.connects[0] == 0
                let_time_pass(1.0, "the broker would evict the collector now")
                assert collector.disconnects == 0 and len(collector.connects) == 1, (
                    f"evicted on {port} (plain {b.plain})"
                )
                collector.close()  # one collector session at a time: the account's id is the same on both listeners
                intruder.close()
        finally:
            for w in made:
                w.close()
