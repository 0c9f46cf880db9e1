"""What a payload profile tells the collector: its topics, how to route and decode them, its smoke hint and how to
simulate a node speaking it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from collector.decoders.types import Outcome
from inventory.profiles import ProfileInfo

# (topic, payload) of one MQTT message a simulated node publishes.
Message = tuple[str, bytes]
# Decodes one non-empty payload of one device into its outcomes; never raises.
Decoder = Callable[[str, bytes], list[Outcome]]


def named(decode: Callable[[str, str, bytes], list[Outcome]], name: str) -> Decoder:
    """A :data:`Decoder` for ``decode(device_id, name, payload)`` with ``name`` fixed (ESPHome sensor ids, Shelly
    components)."""
    return partial(_call_named, decode, name)


def _call_named(
    decode: Callable[[str, str, bytes], list[Outcome]], name: str, device_id: str, payload: bytes
) -> list[Outcome]:
    return decode(device_id, name, payload)


@dataclass(frozen=True, slots=True)
class Match:
    """A topic of a profile: the node's topic root, which of the profile's channels, and a name within it (the
    ESPHome sensor object id, the Shelly component)."""

    root: str
    channel: str
    name: str = ""


class Profile:
    """Base of every profile module's ``PROFILE``; a subclass overrides what its nodes do differently.

    ``info`` is what the registry needs of the profile (its name, default topic root, summary, setup hint and topic
    rules); ``collector.profiles.register`` hands it to ``inventory.profiles``, so it is declared once, here.
    """

    info: ProfileInfo
    # MQTT subscriptions covering every topic of the profile (single-level roots: ``+`` stands for the root).
    subscriptions: tuple[str, ...] = ()
    # Whether the profile's nodes can report smoke (then ``smoke_hint`` is asked for the profile's topics).
    reports_smoke: bool = False

    @property
    def name(self) -> str:
        """The profile's name (``info.name``): what a device is registered with."""
        return self.info.name

    def match(self, topic: str) -> Match | None:
        """The root and channel of ``topic`` if it is one of this profile's topics (no registry lookup yet)."""
        raise NotImplementedError

    def decoder(self, match: Match) -> Decoder:
        """The decoder of a matched topic's payloads (chosen once per topic: the dispatcher caches it)."""
        raise NotImplementedError

    def smoke_hint(self, topic: str, payload: bytes) -> bool:
        """A cheap guess, on paho's network thread before decoding, that a message on one of the profile's topics
        reports smoke."""
        return False

    # -- simulation --------------------------------------------------------------------------------
    def status_message(self, root: str, online: bool) -> Message:
        """The node's online announcement (retained) or last will."""
        return f"{root}/status", b"online" if online else b"offline"

    def reading_messages(self, root: str, values: dict[str, float], wall: float, seq: int) -> list[Message]:
        """What a node publishes for one reading (``values``: kho field names, ``smoke`` as 0/1)."""
        raise NotImplementedError

    def bad_message(self, root: str, k: int, wall: float) -> Message:
        """The ``k``-th of the malformed messages the node sends on demand (each must be rejected)."""
        raise NotImplementedError
