"""Firmware/broker test helpers: a registry with one node per hardware kind, ESPHome's CLI, MQTT clients."""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from inventory import registry
from inventory.db import session_scope

from ..conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
ESPHOME = ROOT / ".esphome-venv" / "bin" / "esphome"

# (device id, profile, hardware, has_smoke)
NODES = [
    ("qt-sht", "esphome", "esp32-sht3x", False),
    ("qt-bme", "esphome", "esp32-bme280+mq2+battery", True),
    ("qt-dht", "esphome", "esp32-dht22+relay", True),
    ("qt-tas", "tasmota", "tasmota-sht3x", False),
    ("qt-8266", "esphome", "ESP8266 + SHT3X (ESPHome)", True),
    ("qt-8266b", "esphome", "esp8266-bme280+mq2", False),
    ("qt-nat", "native", "esp32-sht3x", True),
]


def seed_nodes(sessions: sessionmaker[Session]) -> None:
    since = datetime.now(UTC) - timedelta(days=1)
    with session_scope(sessions) as s:
        registry.create_site(s, "QT", "Kho lưu trữ QT")
        registry.create_room(s, "QT", "P1", "Phòng giấy")
        registry.create_room(s, "QT", "P2", "Phòng phim ảnh", "photo")
        for i, (dev, profile, hw, smoke) in enumerate(NODES):
            registry.add_device(
                s, dev, profile, "QT", "P1" if i % 2 == 0 else "P2", hardware=hw, has_smoke=smoke, since=since
            )
    with session_scope(sessions) as s:
        registry.create_site(s, "HN", "Kho HN")
        registry.create_room(s, "HN", "R1", "Phòng 1")
        registry.add_device(s, "hn-sht", "esphome", "HN", "R1", hardware="esp32-sht3x", since=since)


@pytest.fixture
def node_sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_nodes(sqlite_sessions)
    return sqlite_sessions


def _esphome_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ESPHOME), "config", str(path)], capture_output=True, text=True, timeout=120, cwd=path.parent
    )


@pytest.fixture
def esphome_config() -> Callable[[Path], subprocess.CompletedProcess[str]]:
    """``esphome config FILE`` from the project's separate ESPHome venv (offline: it only validates)."""
    if not ESPHOME.exists():
        pytest.fail(
            f"ESPHome is not installed at {ESPHOME}: run `bash scripts/install-deps.sh` (it creates .esphome-venv)"
        )
    return _esphome_config


class Client:
    """A paho client that records what it receives and the CONNACK reason code."""

    def __init__(
        self,
        port: int,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        will: tuple[str, str] | None = None,
    ) -> None:
        self.c = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"t-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv311
        )
        if username is not None:
            self.c.username_pw_set(username, password)
        if will:
            self.c.will_set(will[0], will[1], qos=1, retain=True)
        self.messages: list[tuple[str, bytes]] = []
        self.connack: Any = None
        self.acked = 0
        self.subacked = 0
        self._lock = threading.Lock()
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_publish = self._on_publish
        self.c.on_subscribe = self._on_subscribe
        self.port = port

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any = None) -> None:
        self.connack = rc

    def _on_message(self, client: Any, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, msg.payload))

    def _on_publish(self, *args: Any) -> None:
        self.acked += 1

    def _on_subscribe(self, *args: Any) -> None:
        self.subacked += 1

    def connect(self, timeout_s: float = 10.0) -> Any:
        """Connect and return the CONNACK reason code (0 / "Success" when accepted)."""
        self.c.connect("127.0.0.1", self.port, 30)
        self.c.loop_start()
        wait_for(lambda: self.connack is not None, timeout_s, "no CONNACK from the broker")
        return self.connack

    @property
    def accepted(self) -> bool:
        return self.connack is not None and not self.connack.is_failure

    def subscribe(self, topic: str) -> None:
        before = self.subacked
        self.c.subscribe(topic, qos=1)
        wait_for(lambda: self.subacked > before, 10, f"no SUBACK for {topic}")

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        before = self.acked
        self.c.publish(topic, payload, qos=1, retain=retain)
        wait_for(lambda: self.acked > before, 10, f"no PUBACK for {topic}")

    def topics(self) -> list[str]:
        with self._lock:
            return [t for t, _ in self.messages]

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def clients() -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(*args: Any, **kw: Any) -> Client:
        c = Client(*args, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
