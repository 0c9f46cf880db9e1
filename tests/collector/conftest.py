"""Collector test helpers: a registry with one device per profile, collectors, a QoS 1 publisher, InfluxQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from collector.influx import InfluxClient
from collector.reading import Reading, StatusEvent
from collector.settings import InfluxSettings
from inventory import registry
from inventory.db import session_scope
from kho.localservers import InfluxServer, ManagedServer

from ..conftest import fast_cfg, forget_session, let_time_pass, wait_for  # noqa: F401 (used by the tests here)


def setup_registry(sessions: sessionmaker[Session]) -> None:
    """Site HN with rooms P1, P2 and nodes n1 (native, smoke), e1 (esphome, smoke), t1 (tasmota)."""
    since = _dt(time.time() - 86400)
    with session_scope(sessions) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        registry.create_room(s, "HN", "P1", "Phòng 1")
        registry.create_room(s, "HN", "P2", "Phòng 2 (phim)", "photo")
        registry.add_device(s, "n1", "native", "HN", "P1", has_smoke=True, since=since)
        registry.add_device(s, "e1", "esphome", "HN", "P1", has_smoke=True, since=since)
        registry.add_device(s, "t1", "tasmota", "HN", "P2", since=since)


def _dt(ts: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC)


@pytest.fixture
def registry_sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    setup_registry(sqlite_sessions)
    return sqlite_sessions


class Publisher:
    """A QoS 1 MQTT publisher that waits for the broker's PUBACKs."""

    def __init__(self, port: int, client_id: str | None = None, persistent: bool = False) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"pub-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv311,
            clean_session=not persistent,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 2)
        self.acked = 0
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()

    def _on_publish(self, *args: Any) -> None:
        with self._lock:
            self.acked += 1

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)

    def wait_acked(self, n: int, timeout_s: float = 60.0) -> None:
        wait_for(lambda: self.acked >= n, timeout_s, lambda: f"broker acknowledged {self.acked} of {n} messages", 0.02)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Recorder:
    """A stream consumer that keeps what it is given."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.statuses: list[StatusEvent] = []

    def on_readings(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)

    def on_status(self, event: StatusEvent) -> None:
        self.statuses.append(event)

    def backlog(self) -> int:
        return 0  # handles everything inline


def publish_series(publisher: Publisher, n: int, t0: int, device: str = "n1") -> None:
    """``n`` native readings of ``device``, 1 ms apart from ``t0``, with ``seq`` 0…n-1 (not waited for)."""
    for i in range(n):
        publisher.publish(f"kho/{device}/telemetry", orjson.dumps({"ts": t0 + i, "seq": i, "temperature_c": 20.0}))


@pytest.fixture
def publisher(mosquitto: ManagedServer) -> Iterator[Publisher]:
    p = Publisher(mosquitto.port)
    yield p
    p.close()


@pytest.fixture
def influx_settings(influxd: InfluxServer, influx_db_name: str) -> InfluxSettings:
    return InfluxSettings(url=influxd.url, database=influx_db_name)


def count_points(
    influx: InfluxSettings, measurement: str = "climate", field: str = "temperature_c", where: str = ""
) -> int:
    """Distinct points (series + timestamp) having ``field``."""
    client = InfluxClient(influx)
    try:
        q = f'SELECT count("{field}") FROM "{measurement}"' + (f" WHERE {where}" if where else "")
        series = client.query(q)
    finally:
        client.close()
    return int(series[0]["values"][0][1]) if series else 0


def query(influx: InfluxSettings, q: str) -> list[dict[str, Any]]:
    """Rows of the first series as dicts (``[]`` when none); multi-series results are concatenated with tags."""
    client = InfluxClient(influx)
    try:
        out: list[dict[str, Any]] = []
        for s in client.query(q):
            for v in s["values"]:
                row = dict(zip(s["columns"], v, strict=True))
                row.update(s.get("tags") or {})
                out.append(row)
        return out
    finally:
        client.close()
