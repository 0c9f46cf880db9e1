"""The payload profiles a node can speak: what the registry, the CLI and firmware need to know of each.

The inventory declares what a profile must tell it (:class:`ProfileInfo`) and keeps the registry of them; it knows
no profile itself. Each profile module of the collector (``collector/profiles/<name>.py``) declares its
``ProfileInfo`` next to its decoders, and ``collector/profiles/__init__.py`` registers every profile here when it is
imported — so adding a profile is one new module and one registration line (``docs/profiles.md``). The composition
root (``kho``) imports ``collector.profiles`` before anything asks for a profile; asking before that is an error,
never an empty list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from inventory.errors import RegistryError


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    """One payload profile as the registry sees it.

    A profile whose nodes use their topics differently from the default (one tree, ``<topic>/#``, written by the
    node) subclasses this and overrides :meth:`namespaces` and :meth:`check_topic` (declare ``__slots__ = ()``).
    The generic rules of ``inventory.topics`` (plain topics, system prefixes, overlap) apply to every profile.
    """

    name: str
    # Default topic root of a node registered without one; ``{id}`` is replaced by the node id. A first level that
    # is a system prefix (``kho/{id}``) is the profile's own: its nodes may use it, nodes of other profiles not.
    topic_root: str
    # One line for help texts and listings.
    summary: str
    # Shown by ``kho firmware render`` for nodes of a profile kho generates no firmware files for.
    setup_hint: str = ""
    # The nodes run kho's own firmware: nothing is generated per node, the admin page offers no firmware download.
    kho_firmware: bool = False

    def default_topic(self, device_id: str) -> str:
        """The topic root of ``device_id`` when none is given."""
        return self.topic_root.replace("{id}", device_id)

    @property
    def own_prefix(self) -> str:
        """The first level of :attr:`topic_root` when it is fixed (``kho`` of ``kho/{id}``), else ``""``."""
        first = self.topic_root.split("/", 1)[0]
        return "" if "{id}" in first else first

    def namespaces(self, topic: str) -> list[tuple[str, str]]:
        """``(access, root)`` of every topic tree a node with registry ``topic`` uses.

        ``access`` is ``write`` (the node publishes there) or ``read`` (it listens there); the node's ACL grants
        ``<root>/#`` with that access. By default the node writes under its topic and nowhere else. Each root is the
        topic itself or the topic under a fixed prefix (``tele/<topic>``): the registry finds overlapping nodes by
        these prefixes (:meth:`namespace_prefixes`), and ``register`` refuses a profile whose roots are otherwise.
        """
        return [("write", topic)]

    def namespace_prefixes(self) -> tuple[str, ...]:
        """The fixed prefixes of the :meth:`namespaces` roots: ``""`` for the topic, ``tele`` for ``tele/<topic>``."""
        return _prefixes(self, _PROBES[0])

    def check_topic(self, topic: str) -> None:
        """RegistryError when the (plain) ``topic`` does not have the shape this profile's nodes need."""
        return None


_PROBES = ("probe-1", "probe-2")


def _prefixes(info: ProfileInfo, probe: str) -> tuple[str, ...]:
    out: list[str] = []
    for _, root in info.namespaces(probe):
        if root == probe:
            out.append("")
        elif root.endswith("/" + probe) and "{" not in root:
            out.append(root[: -len(probe) - 1])
        else:
            raise ValueError(f"profile {info.name!r}: namespace {root!r} of topic {probe!r} is not <prefix>/<topic>")
    return tuple(dict.fromkeys(out))


class ProfilesNotRegistered(RuntimeError):
    """Asked for a profile before any was registered."""


_REGISTERED: dict[str, ProfileInfo] = {}


def _registered() -> dict[str, ProfileInfo]:
    if not _REGISTERED:
        raise ProfilesNotRegistered(
            "no payload profile is registered: the composition root (kho) registers them by importing "
            "collector.profiles; import kho (or collector.profiles) before using the registry"
        )
    return _REGISTERED


def register(info: ProfileInfo) -> ProfileInfo:
    """Add ``info`` to the registry (``collector.profiles`` does this for every profile); returns it.

    Registering the same name again replaces the entry only when it is the same profile; another profile of that
    name is a ValueError (two plugins would claim one name).
    """
    if not isinstance(info.name, str) or not info.name:
        raise ValueError(f"a profile needs a name, not {info.name!r}")
    old = _REGISTERED.get(info.name)
    if old is not None and old != info:
        raise ValueError(f"profile {info.name!r} is already registered")
    if len({_prefixes(info, probe) for probe in _PROBES}) != 1:
        raise ValueError(f"profile {info.name!r}: the prefixes of its namespaces depend on the topic")
    _REGISTERED[info.name] = info
    return info


def unregister(name: str) -> None:
    """Remove the profile called ``name`` (for tests and plugins loaded for a while); no error when absent."""
    _REGISTERED.pop(name, None)


class _Profiles(Mapping[str, ProfileInfo]):
    """Read-only view of the registry, in registration order; raises ProfilesNotRegistered while it is empty."""

    def __getitem__(self, name: str) -> ProfileInfo:
        return _registered()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_registered()))

    def __len__(self) -> int:
        return len(_registered())

    def __repr__(self) -> str:
        return f"PROFILES({list(_REGISTERED)})"


PROFILES: Mapping[str, ProfileInfo] = _Profiles()


def profile_names() -> tuple[str, ...]:
    """Every profile name, in registration order."""
    return tuple(_registered())


def get_profile(name: str) -> ProfileInfo | None:
    """The profile called ``name`` (None when there is none)."""
    return _registered().get(name)


def require_profile(name: str) -> ProfileInfo:
    """The profile called ``name``, or RegistryError naming the registered ones."""
    info = get_profile(name)
    if info is None:
        raise RegistryError(f"unknown profile {name!r}: use {', '.join(profile_names())}")
    return info
