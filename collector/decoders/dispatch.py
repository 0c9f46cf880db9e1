"""Topic → device and decoder, then payload → outcomes. Pure apart from a per-topic route cache."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from collector.decoders.esphome import decode_esphome_binary, decode_esphome_sensor
from collector.decoders.native import decode_native
from collector.decoders.status import decode_status
from collector.decoders.tasmota import decode_tasmota
from collector.decoders.types import OVERSIZED, UNKNOWN_DEVICE, UNKNOWN_TOPIC, Ignored, Outcome, Reject

# Route kinds.
NATIVE = "native"
STATUS = "status"
ESPHOME_SENSOR = "esphome_sensor"
ESPHOME_BINARY = "esphome_binary"
TASMOTA_SENSOR = "tasmota_sensor"

# Subscriptions covering every profile's topics (docs/design.md); none overlaps another.
DEFAULT_TOPICS = (
    "kho/+/telemetry",
    "kho/+/status",
    "tele/+/SENSOR",
    "tele/+/LWT",
    "+/sensor/+/state",
    "+/binary_sensor/+/state",
    "+/status",
)


class DeviceLike(Protocol):
    """What routing needs of a registered device (``inventory.directory.DeviceEntry`` fits)."""

    id: str
    profile: str


@dataclass(frozen=True, slots=True)
class Route:
    """Which decoder handles a topic, for which device (``name``: the ESPHome sensor object id)."""

    kind: str
    device_id: str
    name: str = ""


def route_topic(topic: str, by_topic: Mapping[str, DeviceLike]) -> Route | Reject:
    """Find the device and decoder for ``topic`` from the devices' topic roots."""
    root: str | None = None
    kind = ""
    name = ""
    profiles: tuple[str, ...] = ()
    if topic.startswith("tele/") and (topic.endswith("/SENSOR") or topic.endswith("/LWT")):
        sensor = topic.endswith("/SENSOR")
        root = topic[5:-7] if sensor else topic[5:-4]
        kind, profiles = (TASMOTA_SENSOR if sensor else STATUS), ("tasmota",)
    elif topic.endswith("/telemetry"):
        root, kind, profiles = topic[:-10], NATIVE, ("native",)
    elif topic.endswith("/status"):
        root, kind, profiles = topic[:-7], STATUS, ("native", "esphome")
    elif topic.endswith("/state"):
        parts = topic.rsplit("/", 3)
        if len(parts) == 4 and parts[1] in ("sensor", "binary_sensor"):
            root, name = parts[0], parts[2]
            kind = ESPHOME_SENSOR if parts[1] == "sensor" else ESPHOME_BINARY
            profiles = ("esphome",)
    if not root:
        return Reject(UNKNOWN_TOPIC, f"topic {topic[:200]!r} does not match any device profile")
    dev = by_topic.get(root)
    if dev is None:
        guess = root.rsplit("/", 1)[-1][:64]
        return Reject(UNKNOWN_DEVICE, f"no device registered with topic {root[:200]!r}", guess or None)
    if dev.profile not in profiles:
        return Reject(
            UNKNOWN_TOPIC, f"device {dev.id} is registered as {dev.profile}, not {'/'.join(profiles)}", dev.id
        )
    return Route(kind, dev.id, name)


def decode_routed(route: Route, payload: bytes) -> list[Outcome]:
    """Run the decoder of ``route`` on ``payload``."""
    if route.kind == NATIVE:
        return decode_native(route.device_id, payload)
    if route.kind == STATUS:
        return decode_status(route.device_id, payload)
    if route.kind == TASMOTA_SENSOR:
        return decode_tasmota(route.device_id, payload)
    if route.kind == ESPHOME_SENSOR:
        return decode_esphome_sensor(route.device_id, route.name, payload)
    return decode_esphome_binary(route.device_id, route.name, payload)


class Dispatcher:
    """Decodes messages for one registry snapshot, caching the route of each topic seen."""

    def __init__(self, by_topic: Mapping[str, DeviceLike], max_payload_bytes: int = 65536) -> None:
        self.by_topic = by_topic
        self.max_payload_bytes = max_payload_bytes
        self._routes: dict[str, Route | Reject] = {}

    def route(self, topic: str) -> Route | Reject:
        """The cached route of ``topic`` (the cache is bounded: a flood of random topics cannot grow it)."""
        r = self._routes.get(topic)
        if r is None:
            r = route_topic(topic, self.by_topic)
            if len(self._routes) > 100_000:
                self._routes.clear()
            self._routes[topic] = r
        return r

    def decode(self, topic: str, payload: bytes) -> list[Outcome]:
        """Every outcome of one message; never raises on any topic or payload."""
        r = self.route(topic)
        if isinstance(r, Reject):
            return [r]
        if not payload:  # how a retained message is cleared: nothing to store, nothing wrong
            return [Ignored(r.device_id, "empty payload")]
        if len(payload) > self.max_payload_bytes:
            return [Reject(OVERSIZED, f"payload of {len(payload)} bytes exceeds {self.max_payload_bytes}", r.device_id)]
        return decode_routed(r, payload)
