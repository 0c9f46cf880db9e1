"""The MQTT topics a sensor node owns, and the rules that keep one node's topics apart from every other's.

A node's broker account may write only under its own topic roots (``firmware_configs.broker.acl``), so two
nodes whose roots overlap — one equal to, or a level-prefix of, the other — could publish as each other; a
root under a system prefix (``kho``, ``cmnd``, ``stat``, ``tele``, ``$SYS``) would reach every node of a
profile. Topics are therefore plain: levels of ASCII letters, digits, ``-`` and ``_``, nothing else (no
wildcards, no ``$``, no spaces or newlines that would add lines to a generated ACL). These rules hold for every
profile; what differs between profiles (which trees a node uses, the shape of its topic) each profile declares in
its ``inventory.profiles.ProfileInfo``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from inventory.errors import Conflict, RegistryError
from inventory.profiles import PROFILES, get_profile, require_profile

# Letters, digits, '-', '_'; no '.', so an id is never a path component like '..' in generated file names.
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
LEVEL_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TOPIC_LEN = 128
MAX_LEVELS = 4
# First levels the collector, Tasmota and Mosquitto use for every node at once (compared case-insensitively).
SYSTEM_PREFIXES = ("kho", "cmnd", "stat", "tele", "$SYS")
_RESERVED = {p.lower() for p in SYSTEM_PREFIXES}


def check_device_id(device_id: str) -> str:
    """``device_id`` when it is a valid node id (it is also the node's broker user name), else RegistryError."""
    if not isinstance(device_id, str) or not DEVICE_ID_RE.match(device_id):
        raise RegistryError(
            f"device id {device_id!r} is invalid: use 1–64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    if device_id.lower() in _RESERVED:
        raise RegistryError(f"device id {device_id!r} is reserved (system topic prefix)")
    return device_id


def check_plain_topic(topic: str) -> str:
    """``topic`` when it is a plain topic (levels of letters, digits, '-', '_'), else RegistryError."""
    if not isinstance(topic, str) or not topic:
        raise RegistryError("topic may not be empty")
    if any(ch in topic for ch in "#+"):
        raise RegistryError(f"topic {topic!r} may not contain wildcards ('#', '+')")
    if topic.startswith("/") or topic.endswith("/"):
        raise RegistryError(f"topic {topic!r} may not start or end with '/'")
    levels = topic.split("/")
    if len(topic) > MAX_TOPIC_LEN or len(levels) > MAX_LEVELS or not all(LEVEL_RE.match(lv) for lv in levels):
        raise RegistryError(
            f"topic {topic!r} is invalid: use up to {MAX_LEVELS} levels of letters, digits, '-' or '_' "
            f"separated by '/', at most {MAX_TOPIC_LEN} characters"
        )
    return topic


def namespaces(profile: str, topic: str) -> list[tuple[str, str]]:
    """``(access, root)`` of every topic tree a node of ``profile`` with registry ``topic`` uses.

    ``access`` is ``write`` (the node publishes there) or ``read`` (it listens there); the node's ACL grants
    ``<root>/#`` with that access. The profile says which trees (``ProfileInfo.namespaces``); a node of a profile
    no longer registered keeps the default, its topic alone.
    """
    info = get_profile(profile)
    return info.namespaces(topic) if info is not None else [("write", topic)]


def check_node_topic(profile: str, topic: str) -> str:
    """``topic`` when it is plain and fits ``profile`` (see the module docstring), else RegistryError."""
    check_plain_topic(topic)
    info = require_profile(profile)
    info.check_topic(topic)
    first = topic.split("/", 1)[0].lower()
    if first in _RESERVED and first != info.own_prefix.lower():
        raise RegistryError(
            f"topic {topic!r} is under a system prefix ({', '.join(SYSTEM_PREFIXES)}) and would reach other nodes"
        )
    return topic


def overlaps(a: str, b: str) -> bool:
    """True when topic trees ``a/#`` and ``b/#`` share a topic (one root equals or level-prefixes the other)."""
    a, b = a.lower(), b.lower()  # Mosquitto is case-sensitive; refusing case variants avoids look-alike nodes
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def overlap_search(profile: str, topic: str) -> tuple[list[str], list[str]]:
    """Where to look for the nodes a node of ``profile`` with ``topic`` might overlap, without the whole fleet.

    Returns registry topics (another node overlaps only if its registry topic overlaps one of them) and profiles
    (every node of which might). Each profile's namespaces are its topic under fixed prefixes
    (``ProfileInfo.namespace_prefixes``), so a root of ours meets another node's ``<prefix>/<its topic>`` only
    when its topic overlaps our root without the prefix, or when our root lies above the prefix itself.
    """
    topics: list[str] = []
    whole: list[str] = []
    infos = list(PROFILES.values())
    for _, root in namespaces(profile, topic):
        for info in infos:
            for prefix in info.namespace_prefixes():
                if not prefix:
                    topics.append(root)
                elif root.lower().startswith(prefix.lower() + "/"):
                    topics.append(root[len(prefix) + 1 :])
                elif overlaps(root, prefix):  # our root is the prefix or above it: every such node is under it
                    whole.append(info.name)
    return list(dict.fromkeys(topics)), list(dict.fromkeys(whole))


def find_overlap(
    profile: str, topic: str, others: Iterable[tuple[str, str, str]], *, device_id: str = ""
) -> tuple[str, str, str] | None:
    """The first ``(other id, its root, our root)`` among ``others`` (``(id, profile, topic)``) that overlaps."""
    mine = [root for _, root in namespaces(profile, topic)]
    for other_id, other_profile, other_topic in others:
        if other_id == device_id:
            continue
        for _, theirs in namespaces(other_profile, other_topic):
            for root in mine:
                if overlaps(root, theirs):
                    return other_id, theirs, root
    return None


def check_no_overlap(profile: str, topic: str, others: Iterable[tuple[str, str, str]], *, device_id: str = "") -> None:
    """Conflict when a topic tree of the node overlaps one of another node's."""
    hit = find_overlap(profile, topic, others, device_id=device_id)
    if hit is not None:
        other_id, theirs, mine = hit
        if theirs.lower() == mine.lower():
            raise Conflict(f"topic {mine} is already used by another device ({other_id})")
        raise Conflict(f"topic {mine} overlaps {theirs} of device {other_id}")
