"""What the dashboards need from the registry: sites, their rooms with effective limits, and each room's nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.climate import ClimateLimits
from inventory.directory import DeviceDirectory, load_directory


@dataclass(frozen=True, slots=True)
class RoomView:
    """A room as a dashboard shows it."""

    site: str
    code: str
    name: str
    climate_class: str
    limits: ClimateLimits
    devices: tuple[str, ...] = ()
    smoke_devices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Short human label, e.g. ``P1 · Phòng giấy 1``."""
        return f"{self.code} · {self.name}" if self.name and self.name != self.code else self.code


@dataclass(slots=True)
class SiteView:
    """A site with its rooms ordered by code."""

    code: str
    name: str
    rooms: list[RoomView] = field(default_factory=list)


def sites_from_directory(directory: DeviceDirectory, site_names: dict[str, str] | None = None) -> list[SiteView]:
    """Group the directory's rooms by site; a node counts for the room of its latest placement."""
    in_room: dict[int, list[str]] = {}
    smoke_in_room: dict[int, list[str]] = {}
    for dev in sorted(directory.devices.values(), key=lambda d: d.id):
        if not dev.placements:
            continue
        room_id = dev.placements[-1].room_id
        in_room.setdefault(room_id, []).append(dev.id)
        if dev.has_smoke:
            smoke_in_room.setdefault(room_id, []).append(dev.id)
    sites: dict[str, SiteView] = {}
    for room in sorted(directory.rooms.values(), key=lambda r: (r.site, r.code)):
        site = sites.setdefault(room.site, SiteView(room.site, (site_names or {}).get(room.site, room.site_name)))
        site.rooms.append(
            RoomView(
                site=room.site,
                code=room.code,
                name=room.name,
                climate_class=room.climate_class,
                limits=room.limits,
                devices=tuple(in_room.get(room.id, [])),
                smoke_devices=tuple(smoke_in_room.get(room.id, [])),
            )
        )
    return list(sites.values())


def load_sites(session: Session) -> list[SiteView]:
    """Every site of the registry (also sites without rooms) with its rooms and nodes."""
    from inventory.models import Site

    views = {s.code: s for s in sites_from_directory(load_directory(session))}
    for site in session.scalars(select(Site).order_by(Site.code)):
        views.setdefault(site.code, SiteView(site.code, site.name))
    return [views[code] for code in sorted(views)]
