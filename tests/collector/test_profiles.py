"""Payload profiles as plugins: one registry, and every profile's simulated messages decode back to what was sent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from collector import profiles
from collector.decoders import Ignored, Reject, Sample, Status
from collector.dispatch import Dispatcher
from collector.profiles.shelly import decode_rpc
from collector.settings import CollectorSettings
from inventory import profiles as inventory_profiles
from inventory import registry
from inventory.db import session_scope
from inventory.errors import RegistryError
from inventory.registry import default_topic
from kho.cli import app


@dataclass
class Dev:
    id: str
    profile: str


# One simulated node per registered profile, at the topic root the registry gives a node registered without one.
ROOTS = {name: p.info.default_topic(f"d-{name}") for name, p in profiles.PROFILES.items()}
DEVICES = {root: Dev(f"d-{name}", name) for name, root in ROOTS.items()}
VALUES = {"temperature_c": 21.25, "humidity_pct": 55.5, "battery_v": 3.9, "smoke": 1.0, "smoke_level": 0.7}
WALL = 1_764_000_000.25


def decode(topic: str, payload: bytes) -> list[object]:
    return list(Dispatcher(DEVICES).decode(topic, payload))


def test_one_list_of_profiles_on_both_sides() -> None:
    assert list(profiles.PROFILES) == list(inventory_profiles.profile_names())
    assert ROOTS["native"] == "kho/d-native" and ROOTS["shelly"] == "d-shelly"
    for name, p in profiles.PROFILES.items():
        assert p.name == name and p.subscriptions
        assert default_topic("x1", name) == inventory_profiles.PROFILES[name].default_topic("x1")
    assert default_topic("x1", "native") == "kho/x1" and default_topic("x1", "shelly") == "x1"


def test_default_subscriptions_cover_every_profile_once() -> None:
    topics = CollectorSettings().topics
    assert len(topics) == len(set(topics))
    for p in profiles.PROFILES.values():
        assert set(p.subscriptions) <= set(topics)


@pytest.mark.parametrize("name", list(ROOTS))
def test_simulated_readings_decode_back(name: str) -> None:
    p = profiles.get(name)
    fields: dict[str, float] = {}
    stamps: set[int | None] = set()
    for topic, payload in p.reading_messages(ROOTS[name], dict(VALUES), WALL, 7):
        for o in decode(topic, payload):
            assert isinstance(o, Sample), (topic, payload, o)
            assert o.device_id == f"d-{name}"
            fields.update(o.fields)
            stamps.add(o.ts_ms)
    assert fields["temperature_c"] == VALUES["temperature_c"]
    assert fields["humidity_pct"] == VALUES["humidity_pct"]
    if p.reports_smoke:  # Tasmota nodes carry no smoke sensor kho reads
        assert fields["smoke"] == 1.0
    if name in ("native", "shelly", "tasmota"):
        assert stamps == {round(WALL) * 1000 if name == "tasmota" else round(WALL * 1000)}


@pytest.mark.parametrize("name", list(ROOTS))
def test_simulated_status_and_last_will(name: str) -> None:
    p = profiles.get(name)
    for online in (True, False):
        topic, payload = p.status_message(ROOTS[name], online)
        assert decode(topic, payload) == [Status(f"d-{name}", online)]


@pytest.mark.parametrize("name", list(ROOTS))
def test_simulated_bad_messages_are_rejected(name: str) -> None:
    p = profiles.get(name)
    reasons = set()
    for k in range(5):
        topic, payload = p.bad_message(ROOTS[name], k, WALL)
        outcomes = decode(topic, payload)
        # A bad value may decode (out of range is the validator's call), but never as a clean reading of it.
        rejects = [o for o in outcomes if isinstance(o, Reject)]
        if rejects:
            reasons.update(r.reason for r in rejects)
        else:
            assert any(isinstance(o, Sample) and any(v > 100 for v in o.fields.values()) for o in outcomes), payload
    assert reasons and reasons <= {"not_json", "not_finite", "bad_type", "bad_timestamp"}


@pytest.mark.parametrize("name", [n for n, p in profiles.PROFILES.items() if p.reports_smoke])
def test_smoke_hint_picks_each_profiles_smoke(name: str) -> None:
    p = profiles.get(name)
    burning = p.reading_messages(ROOTS[name], dict(VALUES), WALL, 1)
    calm = p.reading_messages(ROOTS[name], {**VALUES, "smoke": 0.0}, WALL, 1)
    assert any(profiles.smoke_hint(t, pl) for t, pl in burning)
    assert not any(profiles.smoke_hint(t, pl) for t, pl in calm)


def test_shelly_notifications() -> None:
    full = {
        "src": "shellyhtg3-84fce63ad204",
        "dst": "d-shelly/events",
        "method": "NotifyFullStatus",
        "params": {
            "ts": 1764000000.5,
            "ble": {},
            "temperature:0": {"id": 0, "tC": 23.4, "tF": 74.1},
            "humidity:0": {"id": 0, "rh": 48.2},
            "devicepower:0": {"id": 0, "battery": {"V": 5.91, "percent": 98}, "external": {"present": False}},
            "wifi": {"sta_ip": "10.0.0.5", "rssi": -61},
        },
    }
    [s] = decode("d-shelly/events/rpc", orjson.dumps(full))
    assert isinstance(s, Sample) and s.ts_ms == 1764000000500
    assert s.fields == {"temperature_c": 23.4, "humidity_pct": 48.2, "battery_v": 5.91}
    event = {"method": "NotifyEvent", "params": {"ts": 1, "events": [{"component": "sys", "event": "sleep"}]}}
    assert [type(o) for o in decode("d-shelly/events/rpc", orjson.dumps(event))] == [Ignored]
    wifi_only = {"method": "NotifyStatus", "params": {"ts": 1764000000, "wifi": {"rssi": -70}}}
    assert [type(o) for o in decode("d-shelly/events/rpc", orjson.dumps(wifi_only))] == [Ignored]
    [r] = decode_rpc("x", b'{"method":"NotifyStatus","params":{"ts":1764000000,"smoke:0":{"id":0,"alarm":"yes"}}}')
    assert isinstance(r, Reject) and r.reason == "bad_type"
    [r] = decode_rpc("x", b"[1, 2]")
    assert isinstance(r, Reject) and r.reason == "bad_type"


def test_shelly_component_topics_and_online() -> None:
    assert decode("d-shelly/status/humidity:0", b'{"id":0,"rh":61.5}') == [Sample("d-shelly", {"humidity_pct": 61.5})]
    assert decode("d-shelly/status/smoke:0", b'{"id":0,"alarm":true,"mute":false}') == [
        Sample("d-shelly", {"smoke": 1.0})
    ]
    assert [type(o) for o in decode("d-shelly/status/sys", b'{"uptime":5}')] == [Ignored]
    [r] = decode("d-shelly/online", b"maybe")
    assert isinstance(r, Reject) and r.reason == "bad_status"
    assert decode("d-shelly/online", b"") == [Ignored("d-shelly", "empty payload")]


def test_routing_keeps_profiles_apart() -> None:
    # The same suffix under another profile's device is refused, naming what the device is registered as.
    [r] = decode("d-tasmota/events/rpc", b"{}")
    assert isinstance(r, Reject) and r.reason == "unknown_topic" and "registered as tasmota" in r.detail
    [r] = decode("d-shelly/status", b"online")
    assert isinstance(r, Reject) and r.reason == "unknown_topic" and "not native/esphome" in r.detail
    [r] = decode("nobody/events/rpc", b"{}")
    assert isinstance(r, Reject) and r.reason == "unknown_device" and r.device_id == "nobody"


def test_cli_lists_the_profiles(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["devices", "profiles"], env={"KHO_STATE_DIR": str(tmp_path)}, terminal_width=200)
    assert res.exit_code == 0, res.output
    for name, info in inventory_profiles.PROFILES.items():
        assert name in res.output and info.topic_root in res.output


def test_unknown_profile_is_refused_with_the_list(sqlite_sessions: sessionmaker[Session]) -> None:
    with session_scope(sqlite_sessions) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        registry.create_room(s, "HN", "P1", "Phòng 1")
    with pytest.raises(RegistryError) as e, session_scope(sqlite_sessions) as s:
        registry.add_device(s, "z1", "zigbee", "HN", "P1")
    assert "native, esphome, tasmota, shelly" in str(e.value)
