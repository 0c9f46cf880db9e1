"""Through the real collector: smoke published over MQTT (real Mosquitto, real influxd) → webhook received."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from collector.service import Collector
from inventory.db import make_engine, make_sessionmaker
from kho import db as kho_db
from kho.localservers import InfluxServer, ManagedServer
from kho.settings import Settings
from kho.wiring import build_consumers
from tests.alerts.conftest import add_webhook_contact, alerts_in, make_registry
from tests.conftest import wait_for


def _publish(port: int, topic: str, payload: Any, retain: bool = False) -> None:
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    c.connect("127.0.0.1", port)
    c.loop_start()
    info = c.publish(topic, payload if isinstance(payload, str | bytes) else json.dumps(payload), qos=1, retain=retain)
    info.wait_for_publish(10)
    c.disconnect()
    c.loop_stop()


def test_smoke_over_mqtt_reaches_the_webhook(
    tmp_path: Path, mosquitto: ManagedServer, influxd: InfluxServer, influx_db_name: str, webhook: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'kho.db'}"
    kho_db.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    make_registry(sessions)
    add_webhook_contact(sessions, webhook.url)
    settings = Settings(
        state_dir=tmp_path / "state",
        database={"url": url},  # type: ignore[arg-type]
        mqtt={"port": mosquitto.port, "client_id": f"kho-e2e-{uuid.uuid4().hex[:6]}"},  # type: ignore[arg-type]
        influx={"url": influxd.url, "database": influx_db_name},  # type: ignore[arg-type]
        web={"public_base_url": "https://kho.example.vn", "secret_key": "e2e"},  # type: ignore[arg-type]
        alerts={"webhook": {"allow_private": True}},  # type: ignore[arg-type]  # the stand-in is on 127.0.0.1
    )
    col = Collector(settings.mqtt, settings.influx, settings.collector, sessions, settings.state_dir)
    consumers = build_consumers(settings, sessions, col.health)
    for c in consumers:
        col.add_consumer(c)
    # a retained "offline" from the past replays at subscribe time: it must not notify
    _publish(mosquitto.port, "kho/s1/status", "offline", retain=True)
    col.start()
    try:
        assert col.wait_subscribed(10), "the collector did not subscribe"
        wait_for(lambda: col.health()["status_total"] >= 1, 10, "the retained offline status did not arrive")
        t_pub = time.time()
        _publish(mosquitto.port, "kho/s1/telemetry", {"seq": 1, "smoke": True, "smoke_level": 0.5})
        [req] = webhook.wait_for(1, timeout=15)
        latency = webhook.times[0] - t_pub
        body = req.json()
        assert body["alerts"][0]["rule"] == "smoke" and body["alerts"][0]["site"] == "HN"
        assert body["alerts"][0]["ack_url"].startswith("https://kho.example.vn/alerts/ack/")
        assert "KHÓI" in body["text"]
        assert latency < 5.0
        assert [a.rule for a in alerts_in(sessions)] == ["smoke"]
        assert col.health()["status_total"] >= 1  # the retained replay did arrive
    finally:
        col.stop()
        for c in consumers:
            c.stop()  # type: ignore[attr-defined]
        _publish(mosquitto.port, "kho/s1/status", b"", retain=True)  # clear the retained message
        engine.dispose()
