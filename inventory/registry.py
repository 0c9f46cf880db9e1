"""Registering sites, rooms and sensor nodes, and moving nodes between rooms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inventory.climate import ClimateClass, limits_for
from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import Device, DeviceAssignment, RegistryVersion, Room, Site
from inventory.profiles import get_profile, profile_names
from inventory.topics import check_device_id, check_no_overlap, check_node_topic, overlap_search

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def bump_version(session: Session) -> None:
    """Tell other processes (the collector's cache) that the registry changed."""
    row = session.get(RegistryVersion, 1, with_for_update=True)
    if row is None:
        session.add(RegistryVersion(id=1, version=1, changed_at=utcnow()))
    else:
        row.version += 1
        row.changed_at = utcnow()
    session.flush()


def _check_code(kind: str, value: str) -> str:
    if not _ID_RE.match(value):
        raise RegistryError(f"{kind} {value!r} is invalid: use 1–64 letters, digits, '-', '_' or '.'")
    return value


def create_site(session: Session, code: str, name: str, organisation: str = "") -> Site:
    """Register a site; its code is used as the ``site`` tag in InfluxDB."""
    _check_code("site code", code)
    if session.scalar(select(Site).where(Site.code == code)):
        raise Conflict(f"site {code} already exists")
    site = Site(code=code, name=name, organisation=organisation)
    session.add(site)
    session.flush()
    bump_version(session)
    return site


def get_site(session: Session, code: str) -> Site:
    """The site with ``code`` or NotFound."""
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise NotFound(f"no site with code {code}")
    return site


def create_room(
    session: Session,
    site_code: str,
    code: str,
    name: str,
    climate_class: str = "paper",
    climate_overrides: dict[str, Any] | None = None,
) -> Room:
    """Register a room of a site with its climate class (paper, photo, magnetic)."""
    _check_code("room code", code)
    try:
        ClimateClass(climate_class)
    except ValueError:
        raise RegistryError(
            f"unknown climate class {climate_class!r}: use {', '.join(c.value for c in ClimateClass)}"
        ) from None
    try:
        limits_for(climate_class, climate_overrides)
    except ValueError as e:  # pydantic's ValidationError is a ValueError too
        raise RegistryError(f"invalid climate overrides: {e}") from None
    site = get_site(session, site_code)
    if session.scalar(select(Room).where(Room.site_id == site.id, Room.code == code)):
        raise Conflict(f"room {site_code}/{code} already exists")
    room = Room(
        site_id=site.id, code=code, name=name, climate_class=climate_class, climate_overrides=climate_overrides or {}
    )
    session.add(room)
    session.flush()
    bump_version(session)
    return room


def get_room(session: Session, site_code: str, room_code: str) -> Room:
    """The room ``site_code/room_code`` or NotFound."""
    room = session.scalar(select(Room).join(Site).where(Site.code == site_code, Room.code == room_code))
    if room is None:
        raise NotFound(f"no room {room_code} in site {site_code}")
    return room


def default_topic(device_id: str, profile: str) -> str:
    """Topic root a node publishes under when none is given (the profile's ``topic_root``)."""
    info = get_profile(profile)
    return info.default_topic(device_id) if info is not None else device_id


def add_device(
    session: Session,
    device_id: str,
    profile: str,
    site_code: str,
    room_code: str,
    *,
    topic: str | None = None,
    hardware: str = "",
    has_smoke: bool = False,
    interval_s: int = 60,
    since: datetime | None = None,
    actor: str = "system",
    description: str = "",
) -> Device:
    """Register a sensor node in a room; its topic may not overlap any other node's (``inventory.topics``)."""
    check_device_id(device_id)
    if get_profile(profile) is None:
        raise RegistryError(f"unknown profile {profile!r}: use {', '.join(profile_names())}")
    if interval_s < 1 or interval_s > 86400:
        raise RegistryError("interval must be between 1 s and 1 day")
    topic = check_node_topic(profile, topic or default_topic(device_id, profile))
    room = get_room(session, site_code, room_code)
    # Lock the version row first: two nodes registered at once cannot both pass the overlap check.
    session.get(RegistryVersion, 1, with_for_update=True)
    if session.get(Device, device_id) is not None:
        raise Conflict(f"device {device_id} already exists")
    check_no_overlap(profile, topic, _overlap_candidates(session, profile, topic), device_id=device_id)
    dev = Device(
        id=device_id,
        profile=profile,
        topic=topic,
        hardware=hardware,
        has_smoke=has_smoke,
        interval_s=interval_s,
        description=description,
    )
    session.add(dev)
    session.flush()
    session.add(DeviceAssignment(device_id=device_id, room_id=room.id, since=since or utcnow(), actor=actor))
    session.flush()
    bump_version(session)
    return dev


def _overlap_candidates(session: Session, profile: str, topic: str) -> list[tuple[str, str, str]]:
    """Nodes whose topic trees might overlap those of a node of ``profile`` with ``topic``.

    A node's trees are its registry topic under its profile's fixed prefixes, so the candidates are the nodes whose
    registry topic equals one of ``inventory.topics.overlap_search``'s topics, is a level-prefix of it or lies under
    it (any case), and the nodes of the profiles it names; the exact check runs on these few rows instead of the
    whole fleet.
    """
    topics, whole = overlap_search(profile, topic)
    t = func.lower(Device.topic)
    conditions = []
    for candidate in topics:
        low = candidate.lower()
        levels = low.split("/")
        prefixes = ["/".join(levels[:i]) for i in range(1, len(levels) + 1)]
        escaped = low.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions += [t.in_(prefixes), t.like(escaped + "/%", escape="\\")]
    if whole:
        conditions.append(Device.profile.in_(whole))
    if not conditions:
        return []
    rows = session.execute(select(Device.id, Device.profile, Device.topic).where(or_(*conditions)))
    return [(r.id, r.profile, r.topic) for r in rows]


def move_device(
    session: Session,
    device_id: str,
    site_code: str,
    room_code: str,
    *,
    since: datetime | None = None,
    actor: str = "system",
) -> DeviceAssignment:
    """Move a node to another room; readings stamped from ``since`` on are attributed to it."""
    dev = session.get(Device, device_id)
    if dev is None:
        raise NotFound(f"no device {device_id}")
    room = get_room(session, site_code, room_code)
    since = since or utcnow()
    last = dev.assignments[-1] if dev.assignments else None
    if last is not None and last.since >= since:
        raise Conflict(f"device {device_id} already has a placement at or after {since.isoformat()}")
    if last is not None and last.room_id == room.id:
        raise Conflict(f"device {device_id} is already in {site_code}/{room_code}")
    a = DeviceAssignment(device_id=device_id, room_id=room.id, since=since, actor=actor)
    session.add(a)
    session.flush()
    bump_version(session)
    return a


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """A node with its current room, for listings."""

    id: str
    profile: str
    topic: str
    site: str
    room: str
    hardware: str
    has_smoke: bool
    interval_s: int


def list_devices(session: Session) -> list[DeviceRow]:
    """All nodes with their current room, ordered by id."""
    rows = []
    for dev in session.scalars(select(Device).order_by(Device.id)):
        cur = dev.assignments[-1] if dev.assignments else None
        rows.append(
            DeviceRow(
                id=dev.id,
                profile=dev.profile,
                topic=dev.topic,
                site=cur.room.site.code if cur else "",
                room=cur.room.code if cur else "",
                hardware=dev.hardware,
                has_smoke=dev.has_smoke,
                interval_s=dev.interval_s,
            )
        )
    return rows
