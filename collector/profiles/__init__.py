"""The registry of payload profiles: one module per profile, one registration line each below.

Registering a profile makes it known on both sides at once: here (the dispatcher, the default subscriptions, the
smoke hint, the simulator) and, through its ``info``, in ``inventory.profiles`` (what the registry accepts, the CLI,
firmware). The inventory may not import the collector, so the composition root (``kho``) imports this package
before anything asks for a profile.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from collector.profiles.base import Decoder, Match, Message, Profile
from inventory import profiles as _inventory

PROFILES: dict[str, Profile] = {}
_SMOKY: tuple[Profile, ...] = ()
# topic → the smoke hints of the profiles whose topic it is (bounded like the dispatcher's route cache): paho's
# network thread asks once per message, so each message costs one lookup and its own profile's hint.
_HINTS_BY_TOPIC: dict[str, tuple[Callable[[str, bytes], bool], ...]] = {}


def register(profile: Profile) -> Profile:
    """Make ``profile`` known to the collector and, through ``profile.info``, to the registry; returns it."""
    global _SMOKY
    if not isinstance(profile, Profile):
        raise TypeError(f"{profile!r} is not a collector.profiles.base.Profile")
    old = PROFILES.get(profile.name)
    if old is not None and old is not profile:
        raise ValueError(f"profile {profile.name!r} is already registered")
    _inventory.register(profile.info)
    PROFILES[profile.name] = profile
    _SMOKY = tuple(p for p in PROFILES.values() if p.reports_smoke)
    _HINTS_BY_TOPIC.clear()
    return profile


def unregister(name: str) -> None:
    """Forget the profile called ``name`` on both sides (for tests and plugins loaded for a while)."""
    global _SMOKY
    PROFILES.pop(name, None)
    _inventory.unregister(name)
    _SMOKY = tuple(p for p in PROFILES.values() if p.reports_smoke)
    _HINTS_BY_TOPIC.clear()


# The profiles, one registration line each: the module ``collector/profiles/<name>.py`` and its ``PROFILE``. The
# order is that of listings and of the dispatcher trying the profiles on a topic.
MODULES = (
    "native",
    "esphome",
    "tasmota",
    "shelly",
)
for _module in MODULES:
    register(import_module(f"{__name__}.{_module}").PROFILE)


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


__all__ = [
    "PROFILES",
    "Decoder",
    "Match",
    "Message",
    "Profile",
    "default_topics",
    "get",
    "register",
    "smoke_hint",
    "unregister",
]
