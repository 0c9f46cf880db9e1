"""`kho alerts …`: list, acknowledge, silence, contacts, test notifications."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from alerts import messages, store
from alerts.delivery import send_test_message
from alerts.notifiers import CHANNELS, NOTIFIERS
from alerts.urlcheck import loggable
from inventory.db import session_scope, utcnow
from inventory.errors import RegistryError
from inventory.timezone import SiteZones, site_zone
from kho.cli.common import console, ctx_of, fail

alerts_app = typer.Typer(help="Alerts: list, acknowledge, silence, contacts (cảnh báo).", no_args_is_help=True)
contacts_app = typer.Typer(help="Who is notified, per site and tier (người nhận cảnh báo).", no_args_is_help=True)

_DURATION = re.compile(r"^(\d+)\s*([mhd])$")


def parse_until(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """``30m``, ``2h``, ``3d`` from now, or an ISO date/time (time in ``tz`` if it has no offset)."""
    m = _DURATION.match(text.strip().lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now + timedelta(minutes=n * {"m": 1, "h": 60, "d": 1440}[unit])
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RegistryError(f"--until {text!r}: use e.g. 30m, 2h, 3d or 2026-12-01T08:00") from None
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


@alerts_app.command("list")
def list_cmd(
    ctx: typer.Context,
    state: str = typer.Option("open", help="open|pending|firing|acknowledged|resolved|all"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Alerts, newest first."""
    c = ctx_of(ctx)
    zones = SiteZones(c.sessions)
    with c.sessions() as s:
        rows = store.list_alerts(s, None if state == "all" else state, limit)
    if not rows:
        console.print("no alerts / không có cảnh báo")
        return
    t = Table("id", "rule", "severity", "state", "site/room", "device", "value", "started", "ack by")
    for a in rows:
        t.add_row(
            str(a.id),
            messages.rule_title(a.rule, "en"),
            a.severity,
            a.state,
            f"{a.site}/{a.room}" if a.site else "system",
            a.device_id,
            "" if a.value is None else f"{a.value:g}",
            a.started_at.astimezone(zones.of(a.site)).strftime("%Y-%m-%d %H:%M"),
            a.acknowledged_by,
        )
    console.print(t)


@alerts_app.command("show")
def show_cmd(ctx: typer.Context, alert_id: int) -> None:
    """One alert and its history."""
    c = ctx_of(ctx)
    with c.sessions() as s:
        a = store.get_alert(s, alert_id)
        events = store.history(s, alert_id)
    console.print(f"#{a.id} {a.rule} {a.severity} {a.state} {a.site}/{a.room} {a.device_id} value={a.value}")
    for e in events:
        console.print(f"  {e.at.isoformat()} {e.kind} {e.actor} {e.comment} {e.data or ''}")


@alerts_app.command("ack")
def ack_cmd(
    ctx: typer.Context,
    alert_id: int,
    by: str = typer.Option(..., "--by", help="who acknowledges"),
    comment: str = typer.Option("", "--comment"),
) -> None:
    """Acknowledge a firing alert: reminders and escalation stop."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        a = store.acknowledge(s, alert_id, by, comment, utcnow())
    console.print(f"alert {a.id} acknowledged by {a.acknowledged_by} / đã xác nhận")


@alerts_app.command("silence")
def silence_cmd(
    ctx: typer.Context,
    until: str = typer.Option(..., "--until", help="30m, 2h, 3d or an ISO time"),
    reason: str = typer.Option(..., "--reason"),
    site: str = typer.Option("", "--site"),
    room: str = typer.Option("", "--room"),
    rule: str = typer.Option("", "--rule"),
    device: str = typer.Option("", "--device"),
    by: str = typer.Option("cli", "--by"),
) -> None:
    """Mute notifications for a scope (empty parts match anything) until a time."""
    c = ctx_of(ctx)
    from alerts.rules import ALERT_NAMES

    if rule and rule not in ALERT_NAMES:
        fail(f"unknown rule {rule!r}: use {', '.join(ALERT_NAMES)}")
    now = utcnow()
    with session_scope(c.sessions) as s:
        tz = site_zone(s, site)  # a time without offset is the silenced site's time
        ends = parse_until(until, tz, now)
        sil = store.add_silence(s, ends, reason, by, site=site, room=room, rule=rule, device_id=device, starts_at=now)
    local = ends.astimezone(tz).isoformat(timespec="minutes")
    console.print(f"silence {sil.id} until {local} / im lặng đến {local}")


@alerts_app.command("silences")
def silences_cmd(ctx: typer.Context, all_: bool = typer.Option(False, "--all", help="also expired")) -> None:
    """Silences in force."""
    c = ctx_of(ctx)
    with c.sessions() as s:
        rows = store.list_silences(s, utcnow(), include_expired=all_)
    zones = SiteZones(c.sessions)
    t = Table("id", "site", "room", "rule", "device", "until", "reason", "by")
    for x in rows:
        t.add_row(
            str(x.id),
            x.site or "*",
            x.room or "*",
            x.rule or "*",
            x.device_id or "*",
            x.ends_at.astimezone(zones.of(x.site)).isoformat(timespec="minutes"),
            x.reason,
            x.author,
        )
    console.print(t)


@alerts_app.command("unsilence")
def unsilence_cmd(ctx: typer.Context, silence_id: int) -> None:
    """End a silence now."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        store.end_silence(s, silence_id, utcnow())
    console.print(f"silence {silence_id} ended")


@alerts_app.command("test-notify")
def test_notify_cmd(
    ctx: typer.Context, contact: str = typer.Option(..., "--contact", help="contact id or name")
) -> None:
    """Send a test message to a contact through its channel; the outcome is recorded."""
    c = ctx_of(ctx)
    with c.sessions() as s:
        who = store.get_contact(s, contact)
        name, channel, address = who.name, who.channel, who.address
    with console.status(f"sending to {name} via {channel} …"):
        error = send_test_message(c.sessions, c.settings.alerts, contact, datetime.now(UTC))
    if error:
        fail(f"test message to {name} failed: {error}")
    console.print(f"test message sent to {name} ({channel} {loggable(address)})")


@contacts_app.command("add")
def contacts_add(
    ctx: typer.Context,
    name: str,
    channel: str = typer.Option(..., "--channel", help="|".join(CHANNELS)),
    address: str = typer.Option(..., "--address", help=", ".join(f"{n.channel}: {n.address_help}" for n in NOTIFIERS)),
    site: str = typer.Option("*", "--site", help="site code, * = every site and system alerts"),
    tier: int = typer.Option(1, "--tier", help="1 keeper, 2 manager, 3 director"),
    language: str = typer.Option("vi", "--lang"),
) -> None:
    """Add a contact."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        ct = store.add_contact(s, name, site, channel, address, tier, language, settings=c.settings.alerts)
    console.print(f"contact {ct.id} {ct.name} added")


@contacts_app.command("list")
def contacts_list(ctx: typer.Context, site: str = typer.Option("", "--site")) -> None:
    """Contacts by site and tier."""
    c = ctx_of(ctx)
    with c.sessions() as s:
        rows = store.list_contacts(s, site or None)
    t = Table("id", "name", "site", "tier", "channel", "address", "lang")
    for x in rows:
        t.add_row(
            str(x.id), x.name, x.site, f"{x.tier} {store.TIER_NAMES.get(x.tier, '')}", x.channel, x.address, x.language
        )
    console.print(t)


@contacts_app.command("remove")
def contacts_remove(ctx: typer.Context, contact: str) -> None:
    """Remove a contact (by id or name)."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        store.remove_contact(s, contact)
    console.print(f"contact {contact} removed")


def register(app: typer.Typer) -> None:
    """Mount ``kho alerts`` (with ``kho alerts contacts``)."""
    alerts_app.add_typer(contacts_app, name="contacts")
    app.add_typer(alerts_app, name="alerts")
