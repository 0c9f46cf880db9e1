"""The payload profiles a node can speak: what the registry, the CLI and firmware need to know of each.

This is the one list of profile names. Decoding, routing, smoke hints and simulation of each profile live in the
collector (``collector/profiles/<name>.py``), keyed by the same name; the collector refuses to start if the two
lists differ. Adding a profile: one line here, one module and one registration line there (``docs/profiles.md``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    """One payload profile as the registry sees it."""

    name: str
    # Default topic root of a node registered without one; ``{id}`` is replaced by the node id.
    topic_root: str
    # One line for help texts and listings.
    summary: str
    # Shown by ``kho firmware render`` for nodes of a profile kho generates no firmware files for.
    setup_hint: str = ""

    def default_topic(self, device_id: str) -> str:
        """The topic root of ``device_id`` when none is given."""
        return self.topic_root.replace("{id}", device_id)


PROFILES: dict[str, ProfileInfo] = {
    p.name: p
    for p in (
        ProfileInfo(
            "native",
            "kho/{id}",
            "kho firmware: JSON on <root>/telemetry, online/offline on <root>/status",
            setup_hint="native nodes run kho's own firmware: nothing to generate",
        ),
        ProfileInfo("esphome", "{id}", "ESPHome: one value per <prefix>/sensor/<name>/state"),
        ProfileInfo("tasmota", "{id}", "Tasmota: JSON on tele/<topic>/SENSOR, last will on tele/<topic>/LWT"),
        ProfileInfo(
            "shelly",
            "{id}",
            "Shelly Gen2+/Gen3 (H&T, Plus Smoke): JSON-RPC on <prefix>/events/rpc, <prefix>/status/<component>",
            setup_hint="configure MQTT in the Shelly's own web page: server, user, password, topic prefix = the "
            "node's topic, 'RPC status notifications' on",
        ),
    )
}


def profile_names() -> tuple[str, ...]:
    """Every profile name, in registration order."""
    return tuple(PROFILES)


def get_profile(name: str) -> ProfileInfo | None:
    """The profile called ``name`` (None when there is none)."""
    return PROFILES.get(name)
