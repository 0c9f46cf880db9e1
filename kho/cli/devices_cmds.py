"""`kho sites|rooms|devices …`: register the physical world the sensors live in."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer
from rich.table import Table
from typer.models import OptionInfo

from inventory import registry
from inventory.db import session_scope
from inventory.profiles import PROFILES, profile_names
from kho.cli.common import console, ctx_of

sites_app = typer.Typer(help="Archive storage sites.", no_args_is_help=True)
rooms_app = typer.Typer(help="Storage rooms.", no_args_is_help=True)
devices_app = typer.Typer(help="Sensor nodes.", no_args_is_help=True)


class _ProfileOption(OptionInfo):
    """``--profile``: its help names the registered profiles, read each time the command is built (not at import,
    so a profile registered later is listed too)."""

    @property
    def help(self) -> str:
        return " | ".join(profile_names())

    @help.setter
    def help(self, value: str | None) -> None:  # OptionInfo.__init__ sets it; the names are read instead
        pass


def _profile_option() -> Any:  # like typer.Option: the default of a typed parameter
    return _ProfileOption(default=...)


@sites_app.command("add")
def site_add(ctx: typer.Context, code: str, name: str, organisation: str = "") -> None:
    """Register a site (CODE becomes the 'site' tag in InfluxDB)."""
    with session_scope(ctx_of(ctx).sessions) as s:
        registry.create_site(s, code, name, organisation)
    console.print(f"[green]site {code} added[/]")


@rooms_app.command("add")
def room_add(
    ctx: typer.Context,
    site: str,
    code: str,
    name: str,
    climate_class: str = typer.Option("paper", "--class", help="paper | photo | magnetic"),
    overrides: str = typer.Option("", help="JSON of limits to override, e.g. '{\"outer_rh_pct\": [35, 60]}'"),
) -> None:
    """Register a room of SITE."""
    try:
        ov = json.loads(overrides) if overrides else None
    except json.JSONDecodeError as e:
        raise registry.RegistryError(f"--overrides is not valid JSON: {e}") from None
    with session_scope(ctx_of(ctx).sessions) as s:
        registry.create_room(s, site, code, name, climate_class, ov)
    console.print(f"[green]room {site}/{code} added[/]")


@devices_app.command("profiles")
def device_profiles() -> None:
    """List the payload profiles a node can be registered with."""
    t = Table("profile", "default topic", "what the node publishes")
    for p in PROFILES.values():
        t.add_row(p.name, p.topic_root, p.summary)
    console.print(t)


@devices_app.command("add")
def device_add(
    ctx: typer.Context,
    device_id: str,
    profile: str = _profile_option(),
    room: str = typer.Option(..., help="SITE/ROOM the node is in"),
    topic: str = typer.Option("", help="topic root (esphome/shelly topic prefix, tasmota topic); default from id"),
    hardware: str = typer.Option("", help="e.g. esp32-sht3x, esp32-bme280+mq2"),
    smoke: bool = typer.Option(False, "--smoke/--no-smoke", help="the node has a smoke sensor"),
    interval: int = typer.Option(60, help="reporting interval in seconds"),
) -> None:
    """Register a sensor node with its payload profile and room."""
    site_code, room_code = _split_room(room)
    with session_scope(ctx_of(ctx).sessions) as s:
        dev = registry.add_device(
            s,
            device_id,
            profile,
            site_code,
            room_code,
            topic=topic or None,
            hardware=hardware,
            has_smoke=smoke,
            interval_s=interval,
            actor="cli",
        )
        console.print(f"[green]device {dev.id} added[/] ({dev.profile}, topic {dev.topic}) in {room}")


@devices_app.command("move")
def device_move(
    ctx: typer.Context,
    device_id: str,
    room: str = typer.Option(..., help="SITE/ROOM"),
    since: datetime | None = typer.Option(None, help="ISO time of the move (UTC if no offset); default now"),
) -> None:
    """Move a node to another room; readings from SINCE on are attributed to it."""
    from datetime import UTC

    site_code, room_code = _split_room(room)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with session_scope(ctx_of(ctx).sessions) as s:
        registry.move_device(s, device_id, site_code, room_code, since=since, actor="cli")
    console.print(f"[green]device {device_id} moved to {room}[/]")


@devices_app.command("list")
def device_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List sensor nodes with their current room."""
    with session_scope(ctx_of(ctx).sessions) as s:
        rows = registry.list_devices(s)
    if as_json:
        console.print_json(json.dumps([_row(r) for r in rows]))
        return
    t = Table("id", "profile", "topic", "site", "room", "hardware", "smoke", "interval")
    for r in rows:
        smoke = "yes" if r.has_smoke else ""
        t.add_row(r.id, r.profile, r.topic, r.site, r.room, r.hardware, smoke, f"{r.interval_s}s")
    console.print(t)


def _row(r: registry.DeviceRow) -> dict[str, object]:
    return {k: getattr(r, k) for k in r.__slots__}


def _split_room(value: str) -> tuple[str, str]:
    if value.count("/") != 1 or not all(value.split("/")):
        raise registry.RegistryError(f"room must be SITE/ROOM, got {value!r}")
    a, b = value.split("/")
    return a, b


def register(root: typer.Typer) -> None:
    """Add ``kho sites``, ``kho rooms`` and ``kho devices`` to the root app."""
    root.add_typer(sites_app, name="sites")
    root.add_typer(rooms_app, name="rooms")
    root.add_typer(devices_app, name="devices")
