"""Topic → device and profile, then payload → outcomes. Pure apart from a per-topic route cache."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from collector.decoders.types import OVERSIZED, UNKNOWN_DEVICE, UNKNOWN_TOPIC, Ignored, Outcome, Reject
from collector.profiles import PROFILES, Decoder, Match, Profile


class DeviceLike(Protocol):
    """What routing needs of a registered device (``inventory.directory.DeviceEntry`` fits)."""

    id: str
    profile: str


@dataclass(frozen=True, slots=True)
class Route:
    """Which profile decodes a topic, for which device, the topic's place in that profile and its decoder."""

    profile: Profile
    device_id: str
    match: Match
    decode: Decoder


def route_topic(
    topic: str, by_topic: Mapping[str, DeviceLike], profiles: Mapping[str, Profile] = PROFILES
) -> Route | Reject:
    """Find the device and profile for ``topic``: a profile whose topics it is, on the root of a device registered
    with that profile."""
    matches = [(p, m) for p in profiles.values() if (m := p.match(topic)) is not None and m.root]
    if not matches:
        return Reject(UNKNOWN_TOPIC, f"topic {topic[:200]!r} does not match any device profile")
    found: list[tuple[Profile, DeviceLike]] = []
    for p, m in matches:
        dev = by_topic.get(m.root)
        if dev is None:
            continue
        if dev.profile == p.name:
            return Route(p, dev.id, m, p.decoder(m))
        found.append((p, dev))
    if found:
        dev = found[0][1]
        names = "/".join(p.name for p, _ in found)
        return Reject(UNKNOWN_TOPIC, f"device {dev.id} is registered as {dev.profile}, not {names}", dev.id)
    root = matches[0][1].root
    guess = root.rsplit("/", 1)[-1][:64]
    return Reject(UNKNOWN_DEVICE, f"no device registered with topic {root[:200]!r}", guess or None)


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
        return r.decode(r.device_id, payload)
