"""The registry of payload profiles: one module per profile, one line each below.

The names are those of ``inventory.profiles.PROFILES`` (what the registry accepts); importing this package checks
that both lists hold the same names, so a profile cannot be registered on one side only.
"""

from __future__ import annotations

from collections.abc import Callable

from collector.profiles import esphome, native, shelly, tasmota
from collector.profiles.base import Decoder, Match, Message, Profile
from inventory.profiles import profile_names

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        native.PROFILE,
        esphome.PROFILE,
        tasmota.PROFILE,
        shelly.PROFILE,
    )
}

if set(PROFILES) != set(profile_names()):  # pragma: no cover - a registration line is missing on one side
    raise ImportError(
        f"collector profiles {sorted(PROFILES)} differ from inventory.profiles {sorted(profile_names())}: "
        "register the profile in both"
    )

_SMOKY = tuple(p for p in PROFILES.values() if p.reports_smoke)
# topic → the smoke hints of the profiles whose topic it is (bounded like the dispatcher's route cache): paho's
# network thread asks once per message, so each message costs one lookup and its own profile's hint.
_HINTS_BY_TOPIC: dict[str, tuple[Callable[[str, bytes], bool], ...]] = {}


def get(name: str) -> Profile:
    """The profile called ``name`` (KeyError when there is none)."""
    return PROFILES[name]


def default_topics() -> tuple[str, ...]:
    """Subscriptions covering every profile's topics, each once."""
    return tuple(dict.fromkeys(t for p in PROFILES.values() for t in p.subscriptions))


def smoke_hint(topic: str, payload: bytes) -> bool:
    """A cheap guess, before decoding, that a message reports smoke (the decoder still decides)."""
    hints = _HINTS_BY_TOPIC.get(topic)
    if hints is None:
        hints = tuple(p.smoke_hint for p in _SMOKY if p.match(topic) is not None)
        if len(_HINTS_BY_TOPIC) > 100_000:
            _HINTS_BY_TOPIC.clear()
        _HINTS_BY_TOPIC[topic] = hints
    for hint in hints:  # noqa: SIM110 - a plain loop: any() over a generator costs more on paho's thread
        if hint(topic, payload):
            return True
    return False


__all__ = ["PROFILES", "Decoder", "Match", "Message", "Profile", "default_topics", "get", "smoke_hint"]
