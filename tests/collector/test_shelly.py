"""The Shelly profile end to end: a simulated Shelly over the real broker, through the collector, into influxd."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from collector.service import Collector
from collector.settings import InfluxSettings, MqttSettings
from collector.simulator import Simulator
from inventory import registry
from inventory.db import session_scope
from inventory.directory import load_directory
from kho.localservers import ManagedServer

from .conftest import Publisher, Recorder, count_points, query, wait_for


def test_simulated_shelly_lands_in_influxdb(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: Callable[..., Collector],
) -> None:
    with session_scope(registry_sessions) as s:
        dev = registry.add_device(
            s, "sh1", "shelly", "HN", "P2", has_smoke=True, since=datetime.now(UTC) - timedelta(days=1)
        )
        assert dev.topic == "sh1"  # the profile's default root: the Shelly's topic prefix
    rec = Recorder()
    c = make_collector(mosquitto.port, influx_settings, registry_sessions, consumers=[rec])
    with registry_sessions() as s:
        fleet = [load_directory(s).devices["sh1"]]
    sim = Simulator(
        MqttSettings(port=mosquitto.port),
        fleet,
        rate_hz=10,
        bad_every=4,
        smoke_at={"sh1": 0.5},
        client_prefix=f"shelly{time.time_ns()}",
    )
    sim.start()
    try:
        wait_for(lambda: any(r.smoke for r in rec.readings), 15, "no smoke alarm from the Shelly")
        wait_for(lambda: len(rec.readings) >= 10, 15, "too few Shelly readings")
    finally:
        sim.stop()
    assert c.wait_idle(20)
    assert any(e.device_id == "sh1" and e.online for e in rec.statuses)
    assert {(r.site, r.room) for r in rec.readings} == {("HN", "P2")}
    h = c.health()
    assert h["rejected_total"] >= 1 and set(h["rejects_by_reason"]) <= {
        "not_json",
        "not_finite",
        "out_of_range",
        "bad_type",
        "bad_timestamp",
    }
    n = count_points(influx_settings, where="\"device\" = 'sh1'")
    assert n == len(rec.readings) >= 10
    rows = query(influx_settings, "SELECT temperature_c, humidity_pct, dew_point_c, battery_v FROM climate")
    assert rows and all(r["dew_point_c"] is not None and r["battery_v"] > 0 for r in rows)
    status = query(influx_settings, 'SELECT "online" FROM "device_status" WHERE "device" = \'sh1\'')
    assert status and status[-1]["online"] == 1.0
    # Clear the retained status so collectors of later tests (without sh1) are not sent it.
    pub = Publisher(mosquitto.port)
    pub.publish("sh1/online", b"", retain=True)
    pub.wait_acked(1)
    pub.close()


def test_shelly_component_topics_pair_for_the_dew_point(
    mosquitto: ManagedServer,
    influx_settings: InfluxSettings,
    registry_sessions: sessionmaker[Session],
    make_collector: Callable[..., Collector],
    publisher: Publisher,
) -> None:
    with session_scope(registry_sessions) as s:
        registry.add_device(s, "sh2", "shelly", "HN", "P1", since=datetime.now(UTC) - timedelta(days=1))
    c = make_collector(mosquitto.port, influx_settings, registry_sessions)
    publisher.publish("sh2/status/temperature:0", b'{"id":0,"tC":24.0,"tF":75.2}')
    publisher.publish("sh2/status/humidity:0", b'{"id":0,"rh":70.0}')
    publisher.publish("sh2/status/wifi", b'{"rssi":-60}')
    publisher.wait_acked(3)
    wait_for(lambda: count_points(influx_settings, field="humidity_pct") == 1, 15, "humidity did not land")
    assert c.wait_idle(10)
    [row] = query(influx_settings, "SELECT humidity_pct, dew_point_c FROM climate WHERE humidity_pct > 0")
    assert 17.0 < row["dew_point_c"] < 19.0  # 24 °C at 70 % RH: about 18.2 °C
    assert c.health()["ignored_total"] == 1
