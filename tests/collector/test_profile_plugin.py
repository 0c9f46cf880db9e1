"""A payload profile is a plugin: one module, registered with one line, and every part of kho knows it.

The "Acme" profile below is such a module, written as a contributor would write ``collector/profiles/acme.py``
(docs/profiles.md). The ``acme`` fixture does what its line in ``collector/profiles/__init__.py`` would do,
``register(PROFILE)``, and forgets it afterwards. No other file knows the profile: the registry, its topic rules,
the broker ACL, the CLI, firmware rendering, the dispatcher, the pipeline and the simulator's messages all take it
from the registration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from collector import profiles
from collector.attribution import Snapshot
from collector.decoders.common import DecodeError, number, parse_json, timestamp_ms
from collector.decoders.status import decode_status
from collector.decoders.types import BAD_TYPE, Outcome, Reject, Sample, Status
from collector.dispatch import Dispatcher
from collector.pipeline import Pipeline
from collector.profiles.base import Decoder, Match, Message, Profile
from collector.settings import CollectorSettings
from collector.validate import TimePolicy
from firmware_configs.broker.acl import node_topics
from firmware_configs.esphome import Node
from firmware_configs.render import render_node
from firmware_configs.settings import FirmwareSettings
from inventory import profiles as inventory_profiles
from inventory import registry
from inventory.db import session_scope
from inventory.directory import DeviceDirectory, DeviceEntry, Placement
from inventory.errors import Conflict, RegistryError
from inventory.profiles import ProfileInfo
from inventory.topics import check_node_topic, namespaces
from kho.cli import app

# ---- the plugin: everything a new profile declares, in one module ---------------------------------------------


class AcmeInfo(ProfileInfo):
    """An Acme node's topic is one level; it writes under ``acme/<topic>`` only."""

    __slots__ = ()

    def namespaces(self, topic: str) -> list[tuple[str, str]]:
        return [("write", f"acme/{topic}")]

    def check_topic(self, topic: str) -> None:
        if "/" in topic:
            raise RegistryError(f"an Acme topic is one level (it goes into acme/<topic>/…), not {topic!r}")


def decode_data(device_id: str, payload: bytes) -> list[Outcome]:
    """``{"time": <epoch s>, "t": <°C>, "rh": <%>}`` → one Sample."""
    try:
        doc = parse_json(payload)
        if not isinstance(doc, dict):
            raise DecodeError(BAD_TYPE, f"data must be a JSON object, got {type(doc).__name__}")
        fields = {"temperature_c": number(doc.get("t"), "t"), "humidity_pct": number(doc.get("rh"), "rh")}
        ts = doc.get("time")
        return [Sample(device_id, fields, timestamp_ms(ts) if ts is not None else None)]
    except DecodeError as e:
        return [e.reject(device_id)]


class Acme(Profile):
    info = AcmeInfo(
        "acme",
        "{id}",
        "Acme: JSON on acme/<topic>/data, online/offline on acme/<topic>/state",
        setup_hint="set the Acme's MQTT topic to the node's topic in its app",
    )
    subscriptions = ("acme/+/data", "acme/+/state")

    def match(self, topic: str) -> Match | None:
        if topic.startswith("acme/"):
            for channel in ("data", "state"):
                if topic.endswith(f"/{channel}"):
                    return Match(topic[len("acme/") : -len(channel) - 1], channel)
        return None

    def decoder(self, match: Match) -> Decoder:
        return decode_data if match.channel == "data" else decode_status

    def status_message(self, root: str, online: bool) -> Message:
        return f"acme/{root}/state", b"online" if online else b"offline"

    def reading_messages(self, root: str, values: dict[str, float], wall: float, seq: int) -> list[Message]:
        doc = {"time": wall, "t": values["temperature_c"], "rh": values["humidity_pct"]}
        return [(f"acme/{root}/data", orjson.dumps(doc))]

    def bad_message(self, root: str, k: int, wall: float) -> Message:
        return f"acme/{root}/data", b'{"t": "hot", "rh": 50}'


PROFILE = Acme()


# ---- the tests ---------------------------------------------------------------------------------------------


@pytest.fixture
def acme() -> Iterator[Acme]:
    """``register(PROFILE)``, the one line in ``collector/profiles/__init__.py``; forgotten at the end."""
    profiles.register(PROFILE)
    try:
        yield PROFILE
    finally:
        profiles.unregister(PROFILE.name)


@pytest.fixture
def room(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sqlite_sessions) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        registry.create_room(s, "HN", "P1", "Phòng 1")
    return sqlite_sessions


NOW = 1_764_000_000_000  # ms
VALUES = {"temperature_c": 21.25, "humidity_pct": 55.5}


@dataclass
class Dev:
    id: str
    profile: str


def test_registration_is_known_on_both_sides(acme: Acme) -> None:
    assert inventory_profiles.profile_names()[-1] == "acme"
    assert inventory_profiles.get_profile("acme") is acme.info and inventory_profiles.PROFILES["acme"] is acme.info
    assert profiles.get("acme") is acme
    assert set(acme.subscriptions) <= set(profiles.default_topics()) <= set(CollectorSettings().topics)


def test_unregistered_it_is_gone(acme: Acme) -> None:
    profiles.unregister("acme")
    assert "acme" not in inventory_profiles.profile_names() and "acme" not in profiles.PROFILES
    assert not set(acme.subscriptions) & set(profiles.default_topics())
    profiles.register(acme)  # the fixture unregisters it again


def test_a_second_profile_of_the_same_name_is_refused(acme: Acme) -> None:
    with pytest.raises(ValueError, match="already registered"):
        profiles.register(Acme())
    with pytest.raises(ValueError, match="already registered"):
        inventory_profiles.register(ProfileInfo("acme", "{id}", "another"))
    profiles.register(acme)  # the same one again is harmless


def test_asking_before_any_registration_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory_profiles, "_REGISTERED", {})  # as in a process that never imported kho
    asks = (
        inventory_profiles.profile_names,
        lambda: list(inventory_profiles.PROFILES),
        lambda: inventory_profiles.get_profile("native"),
        lambda: registry.default_topic("x1", "native"),
    )
    for ask in asks:
        with pytest.raises(inventory_profiles.ProfilesNotRegistered, match=r"composition root \(kho\) registers"):
            ask()


def test_namespaces_must_be_the_topic_under_fixed_prefixes() -> None:
    class Odd(ProfileInfo):
        __slots__ = ()

        def namespaces(self, topic: str) -> list[tuple[str, str]]:
            return [("write", f"{topic}/up")]

    with pytest.raises(ValueError, match="is not <prefix>/<topic>"):
        inventory_profiles.register(Odd("odd", "{id}", "odd"))
    assert "odd" not in inventory_profiles.profile_names()
    assert AcmeInfo("x", "{id}", "").namespace_prefixes() == ("acme",)


def test_the_registry_registers_nodes_with_its_topic_rules(acme: Acme, room: sessionmaker[Session]) -> None:
    with session_scope(room) as s:
        dev = registry.add_device(s, "a1", "acme", "HN", "P1")
        assert (dev.profile, dev.topic) == ("acme", "a1")  # the default root: its topic_root
    assert namespaces("acme", "a1") == [("write", "acme/a1")]
    with pytest.raises(RegistryError, match="an Acme topic is one level"), session_scope(room) as s:
        registry.add_device(s, "a2", "acme", "HN", "P1", topic="site/a2")
    with pytest.raises(RegistryError, match="system prefix"), session_scope(room) as s:
        registry.add_device(s, "a3", "acme", "HN", "P1", topic="tele")  # the generic rules hold too
    # Its namespace acme/a1 counts for overlap: an ESPHome node under acme/a1 would publish as a1.
    with pytest.raises(Conflict, match="a1"), session_scope(room) as s:
        registry.add_device(s, "e1", "esphome", "HN", "P1", topic="acme/a1")
    with pytest.raises(Conflict, match="a1"), session_scope(room) as s:
        registry.add_device(s, "e2", "esphome", "HN", "P1", topic="acme")  # above every Acme node
    with session_scope(room) as s:
        registry.add_device(s, "e3", "esphome", "HN", "P1", topic="acme/a5")
    with pytest.raises(Conflict, match="e3"), session_scope(room) as s:
        registry.add_device(s, "a5", "acme", "HN", "P1")  # and the other way round
    assert check_node_topic("acme", "a9") == "a9"


def test_the_broker_acl_and_firmware_read_it(acme: Acme, tmp_path: Path) -> None:
    node = Node("a1", "acme", "a1", "", False, 60, "HN", "P1", "Phòng 1")
    assert node_topics(node) == [("write", "acme/a1/#")]
    rendered = render_node(node, tmp_path, FirmwareSettings())
    assert rendered.files == [] and rendered.skipped == acme.info.setup_hint
    assert not acme.info.kho_firmware and inventory_profiles.PROFILES["native"].kho_firmware  # the admin page's link


def test_the_cli_lists_it_and_registers_nodes_with_it(acme: Acme, room: sessionmaker[Session], sqlite_url: str) -> None:
    env = {"KHO_DATABASE__URL": sqlite_url, "COLUMNS": "200"}
    runner = CliRunner()
    res = runner.invoke(app, ["devices", "profiles"], env=env, terminal_width=200)
    assert res.exit_code == 0 and "acme" in res.output and "acme/<topic>/data" in res.output, res.output
    res = runner.invoke(app, ["devices", "add", "--help"], env=env, terminal_width=200)
    assert res.exit_code == 0 and "shelly | acme" in res.output, res.output
    res = runner.invoke(app, ["devices", "add", "a1", "--profile", "acme", "--room", "HN/P1"], env=env)
    assert res.exit_code == 0, res.output
    with session_scope(room) as s:
        [dev] = [d for d in registry.list_devices(s) if d.id == "a1"]
    assert (dev.profile, dev.topic) == ("acme", "a1")


def test_the_collector_routes_and_decodes_it(acme: Acme) -> None:
    devices = {"a1": Dev("a1", "acme"), "d-esphome": Dev("d-esphome", "esphome")}
    d = Dispatcher(devices)
    [(topic, payload)] = acme.reading_messages("a1", VALUES, NOW / 1000, 1)
    [r] = d.decode(topic, payload)
    assert isinstance(r, Sample) and r.device_id == "a1" and r.fields == VALUES and r.ts_ms == NOW
    [r] = d.decode(*acme.status_message("a1", False))
    assert r == Status("a1", False)
    [r] = d.decode(*acme.bad_message("a1", 0, NOW / 1000))
    assert isinstance(r, Reject) and r.reason == "bad_type"
    [r] = d.decode("acme/nobody/data", payload)
    assert isinstance(r, Reject) and r.reason == "unknown_device"
    [r] = d.decode("acme/d-esphome/data", payload)  # a root of another profile's device
    assert isinstance(r, Reject) and "registered as esphome, not acme" in r.detail
    assert not profiles.smoke_hint(topic, payload)


def test_the_pipeline_writes_its_readings(acme: Acme) -> None:
    entry = DeviceEntry("a1", "acme", "a1", True, 60, [Placement(NOW - 86_400_000, "HN", "P1", 1)], [NOW - 86_400_000])
    snap = Snapshot(DeviceDirectory(1, {"a1": entry}, {"a1": entry}, {}), 65536)
    [(topic, payload)] = acme.reading_messages("a1", VALUES, (NOW - 5_000) / 1000, 1)
    b = Pipeline(TimePolicy(300_000, 7 * 86_400_000)).run([(1, 1, topic, payload, False, 1)], snap, NOW)
    [line] = b.lines
    assert line.startswith("climate,device=a1,room=P1,site=HN temperature_c=21.25,humidity_pct=55.5,dew_point_c=")
    assert line.endswith(f" {NOW - 5_000}") and len(b.acks) == 1 and b.letters == []
