"""A read-only snapshot of the sensor nodes and where each one was over time, for fast attribution."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.climate import ClimateLimits, limits_for
from inventory.models import Device, DeviceAssignment, RegistryVersion


@dataclass(frozen=True, slots=True)
class Placement:
    """From ``since_ms`` on, the node is in this room."""

    since_ms: int
    site: str
    room: str
    room_id: int


@dataclass(slots=True)
class DeviceEntry:
    """One node as the collector and the alert engine need it."""

    id: str
    profile: str
    topic: str
    has_smoke: bool
    interval_s: int
    placements: list[Placement] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    def placement_at(self, ts_ms: int) -> Placement | None:
        """The room the node was in at ``ts_ms``; before its first placement, the first one."""
        if not self.placements:
            return None
        i = bisect_right(self._starts, ts_ms) - 1
        return self.placements[max(i, 0)]


@dataclass(slots=True)
class RoomEntry:
    """A room with its effective climate limits."""

    id: int
    site: str
    code: str
    name: str
    site_name: str
    climate_class: str
    limits: ClimateLimits


@dataclass(slots=True)
class DeviceDirectory:
    """Snapshot of the registry at ``version``: nodes by id and by topic, rooms by id."""

    version: int
    devices: dict[str, DeviceEntry]
    by_topic: dict[str, DeviceEntry]
    rooms: dict[int, RoomEntry]


def registry_version(session: Session) -> int:
    """The registry change counter (0 when nothing was ever registered)."""
    row = session.get(RegistryVersion, 1)
    return row.version if row else 0


def load_directory(session: Session) -> DeviceDirectory:
    """Read every node, its placements and every room into memory."""
    from inventory.models import Room

    version = registry_version(session)
    rooms: dict[int, RoomEntry] = {}
    for room in session.scalars(select(Room).options(selectinload(Room.site))):
        rooms[room.id] = RoomEntry(
            id=room.id,
            site=room.site.code,
            code=room.code,
            name=room.name,
            site_name=room.site.name,
            climate_class=room.climate_class,
            limits=limits_for(room.climate_class, room.climate_overrides),
        )
    devices: dict[str, DeviceEntry] = {}
    stmt = select(Device).options(selectinload(Device.assignments).selectinload(DeviceAssignment.room))
    for dev in session.scalars(stmt):
        placements = [
            Placement(int(a.since.timestamp() * 1000), rooms[a.room_id].site, rooms[a.room_id].code, a.room_id)
            for a in sorted(dev.assignments, key=lambda a: a.since)
        ]
        devices[dev.id] = DeviceEntry(
            id=dev.id,
            profile=dev.profile,
            topic=dev.topic,
            has_smoke=dev.has_smoke,
            interval_s=dev.interval_s,
            placements=placements,
            _starts=[p.since_ms for p in placements],
        )
    return DeviceDirectory(
        version=version, devices=devices, by_topic={d.topic: d for d in devices.values()}, rooms=rooms
    )
