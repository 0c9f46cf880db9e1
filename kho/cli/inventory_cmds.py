"""`kho users|tokens|shelving|fonds|boxes|schedules …`: people, machine tokens, shelving and boxes from the shell."""

from __future__ import annotations

import getpass
from datetime import date, datetime

import typer
from rich.table import Table
from sqlalchemy import select

from inventory import auth
from inventory import services as sv
from inventory.db import session_scope
from inventory.errors import RegistryError
from inventory.models import ApiToken, User
from kho.cli.common import console, ctx_of

users_app = typer.Typer(
    help="People who log in to the keeper pages (roles viewer, keeper, manager, admin).", no_args_is_help=True
)
tokens_app = typer.Typer(help="API tokens for machines (Authorization: Bearer …).", no_args_is_help=True)
shelving_app = typer.Typer(help="Shelving units, shelves and slots.", no_args_is_help=True)
fonds_app = typer.Typer(help="Fonds (phông).", no_args_is_help=True)
boxes_app = typer.Typer(help="Archive boxes: add, show, move, check out, return.", no_args_is_help=True)
schedules_app = typer.Typer(help="Cleaning schedules.", no_args_is_help=True)

CLI_ACTOR = "cli"


def _password(given: str | None) -> str:
    if given:
        return given
    pw = getpass.getpass("Mật khẩu / password: ")
    if pw != getpass.getpass("Nhập lại / again: "):
        raise RegistryError("the two passwords differ")
    return pw


@users_app.command("add")
def user_add(
    ctx: typer.Context,
    username: str,
    role: str = typer.Option("viewer", "--role", help="viewer | keeper | manager | admin"),
    password: str | None = typer.Option(None, "--password", help="asked for when not given"),
    name: str = typer.Option("", "--name", help="display name"),
    language: str = typer.Option("vi", "--language", help="vi | en"),
) -> None:
    """Add a user who can log in."""
    auth.parse_role(role)
    pw = _password(password)
    with session_scope(ctx_of(ctx).sessions) as s:
        u = auth.create_user(s, username, pw, role, name, language)
        console.print(f"[green]user {u.username} added[/] ({u.role})")


@users_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List users."""
    table = Table("username", "name", "role", "active", "last login")
    with session_scope(ctx_of(ctx).sessions) as s:
        for u in s.scalars(select(User).order_by(User.username)):
            table.add_row(
                u.username,
                u.display_name,
                u.role,
                "yes" if u.active else "no",
                u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "",
            )
    console.print(table)


@users_app.command("passwd")
def user_passwd(ctx: typer.Context, username: str, password: str | None = typer.Option(None, "--password")) -> None:
    """Set a user's password (ends their sessions)."""
    pw = _password(password)
    with session_scope(ctx_of(ctx).sessions) as s:
        auth.set_password(s, username, pw)
    console.print(f"[green]password of {username} changed[/]")


@users_app.command("role")
def user_role(ctx: typer.Context, username: str, role: str) -> None:
    """Change a user's role."""
    with session_scope(ctx_of(ctx).sessions) as s:
        auth.set_role(s, username, role)
    console.print(f"[green]{username} is now {role}[/]")


@users_app.command("disable")
def user_disable(ctx: typer.Context, username: str) -> None:
    """Disable a user (their sessions stop working)."""
    with session_scope(ctx_of(ctx).sessions) as s:
        auth.set_active(s, username, False)
    console.print(f"[green]{username} disabled[/]")


@users_app.command("logout")
def user_logout(ctx: typer.Context, username: str) -> None:
    """End every session of a user, on every device."""
    with session_scope(ctx_of(ctx).sessions) as s:
        ended = auth.revoke_sessions(s, auth.get_user(s, username).id)
    console.print(f"[green]{ended} session(s) of {username} ended[/]")


@tokens_app.command("create")
def token_create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option("viewer", "--role", help="viewer | keeper | manager | admin"),
) -> None:
    """Create an API token; its secret is printed once (only a hash is stored)."""
    with session_scope(ctx_of(ctx).sessions) as s:
        secret = auth.create_token(s, name, role)
    console.print(f"[green]token {name} ({role}) created[/]; keep it now, it is not shown again:")
    print(secret)


@tokens_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """List tokens (names and roles; secrets are not stored)."""
    table = Table("name", "role", "created", "last used", "revoked")
    with session_scope(ctx_of(ctx).sessions) as s:
        for t in s.scalars(select(ApiToken).order_by(ApiToken.name)):
            table.add_row(
                t.name,
                t.role,
                t.created_at.isoformat(timespec="minutes"),
                t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "",
                t.revoked_at.isoformat(timespec="minutes") if t.revoked_at else "",
            )
    console.print(table)


@tokens_app.command("revoke")
def token_revoke(ctx: typer.Context, name: str) -> None:
    """Revoke a token."""
    with session_scope(ctx_of(ctx).sessions) as s:
        auth.revoke_token(s, name)
    console.print(f"[green]token {name} revoked[/]")


def _split_room(room: str) -> tuple[str, str]:
    if room.count("/") != 1:
        raise RegistryError(f"room {room!r}: write it as SITE/ROOM")
    site, code = room.split("/")
    return site, code


@shelving_app.command("add")
def shelving_add(
    ctx: typer.Context,
    room: str = typer.Argument(..., help="SITE/ROOM"),
    number: int = typer.Argument(..., help="unit number in the room"),
    shelves: int = typer.Option(5, help="shelves (tầng) per unit"),
    slots: int = typer.Option(6, help="slots (vị trí) per shelf"),
    capacity: int = typer.Option(10, help="boxes per slot"),
    metres: float = typer.Option(1.0, help="linear metres per slot"),
    code: str = typer.Option("", help="unit code (default <room>-G<nn>)"),
    name: str = typer.Option("", help="description"),
) -> None:
    """Add a shelving unit with its shelves and slots (each gets a label token)."""
    site, room_code = _split_room(room)
    with session_scope(ctx_of(ctx).sessions) as s:
        unit = sv.create_shelving(
            s,
            site,
            room_code,
            number,
            shelves=shelves,
            slots_per_shelf=slots,
            capacity_boxes=capacity,
            capacity_m=metres,
            code=code or None,
            name=name,
        )
        console.print(
            f"[green]unit {unit.code} added[/]: {shelves} shelves × {slots} slots "
            f"({unit.shelves[0].slots[0].code} … {unit.shelves[-1].slots[-1].code})"
        )


@fonds_app.command("add")
def fonds_add(ctx: typer.Context, code: str, name: str, organisation: str = "") -> None:
    """Register a fonds (phông), e.g. P12."""
    with session_scope(ctx_of(ctx).sessions) as s:
        f = sv.create_fonds(s, code, name, organisation)
    console.print(f"[green]fonds {f.code} added[/]")


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RegistryError(f"invalid date {value!r}: use YYYY-MM-DD") from None


@boxes_app.command("add")
def box_add(
    ctx: typer.Context,
    fonds: str,
    catalogue: int,
    number: int,
    title: str = typer.Option("", help="box title"),
    date_from: str = typer.Option("", "--from", help="YYYY-MM-DD"),
    date_to: str = typer.Option("", "--to", help="YYYY-MM-DD"),
    backlog: bool = typer.Option(False, "--backlog", help="unprocessed (tồn đọng)"),
    file: list[str] = typer.Option([], "--file", help="file title (repeat; numbered 1, 2, …)"),
    slot: str = typer.Option("", help="put it away into this slot code"),
) -> None:
    """Add a box (code <FONDS>-ML<CATALOGUE>-H<NNN>) with its files, optionally put away."""
    spec = sv.BoxIn(
        fonds,
        catalogue,
        number,
        title=title,
        date_from=_date(date_from),
        date_to=_date(date_to),
        processing_state="backlog" if backlog else "processed",
        files=[sv.FileIn(i, t) for i, t in enumerate(file, 1)],
    )
    with session_scope(ctx_of(ctx).sessions) as s:
        box = sv.create_box(s, spec, CLI_ACTOR)
        if slot:
            sv.place_box(s, box, slot, CLI_ACTOR)
        console.print(f"[green]box {box.code} added[/]" + (f" in {slot.upper()}" if slot else ""))


@boxes_app.command("show")
def box_show(ctx: typer.Context, box: str = typer.Argument(..., help="code, label token or label URL")) -> None:
    """Show a box: place, status, files and history."""
    with session_scope(ctx_of(ctx).sessions) as s:
        v = sv.box_view(s, sv.get_box(s, box).id)
    console.print(f"[bold]{v.code}[/] — {v.fonds_code} {v.fonds_name}, catalogue {v.catalogue}, box {v.number}")
    console.print(
        f"status: {v.status}{' → ' + v.custodian if v.custodian else ''}{' (misplaced)' if v.misplaced else ''}"
    )
    console.print(f"now at: {v.current.code if v.current else '—'}; belongs at: {v.home.code if v.home else '—'}")
    console.print(f"label: /s/{v.token}")
    files = Table("#", "title", "retention")
    for f in v.files:
        files.add_row(str(f.number), f.title, "permanent" if f.retention_years is None else f"{f.retention_years} y")
    console.print(files)
    hist = Table("when", "event", "actor", "from", "to", "note")
    for e in v.events:
        hist.add_row(_when(e.at), e.kind, e.actor, e.from_code, e.to_code, e.custodian or e.reason)
    console.print(hist)


def _when(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


@boxes_app.command("move")
def box_move(
    ctx: typer.Context,
    box: str,
    slot: str,
    home: bool = typer.Option(False, "--home", help="make the slot the box's home"),
) -> None:
    """Put a box away into SLOT or move it there."""
    with session_scope(ctx_of(ctx).sessions) as s:
        b = sv.get_box(s, box)
        sv.place_box(s, b, slot, CLI_ACTOR, set_home=home or None)
        console.print(f"[green]box {b.code} is in {slot.upper()}[/]")


@boxes_app.command("checkout")
def box_checkout(
    ctx: typer.Context,
    box: str,
    to: str = typer.Option(..., "--to", help="to whom"),
    purpose: str = typer.Option("reading_room", help=" | ".join(sv.CHECKOUT_PURPOSES)),
    due: str = typer.Option("", help="due back, YYYY-MM-DD"),
) -> None:
    """Check a box out to someone."""
    with session_scope(ctx_of(ctx).sessions) as s:
        b = sv.get_box(s, box)
        sv.check_out(s, b, to, purpose, CLI_ACTOR, due_back=_date(due))
        console.print(f"[green]box {b.code} checked out to {to}[/]")


@boxes_app.command("return")
def box_return(ctx: typer.Context, box: str, slot: str = typer.Option("", help="default: its home slot")) -> None:
    """Take a checked-out box back."""
    with session_scope(ctx_of(ctx).sessions) as s:
        b = sv.get_box(s, box)
        sv.return_box(s, b, CLI_ACTOR, slot_ref=slot or None)
        console.print(f"[green]box {b.code} returned[/]")


@boxes_app.command("search")
def box_search(ctx: typer.Context, query: str, limit: int = 30) -> None:
    """Search boxes by code, fonds or file title words."""
    table = Table("box", "status", "location", "matched")
    with session_scope(ctx_of(ctx).sessions) as s:
        hits = sv.search(s, query, limit)
        for h in hits:
            table.add_row(h.code, h.status, h.location, h.matched)
    console.print(table)
    if hits.incomplete:
        console.print("[yellow]these words are very common, so there may be more matches: add a word[/]")


@schedules_app.command("add")
def schedule_add(
    ctx: typer.Context,
    kind: str = typer.Option(..., help="floor | dusting | pest_inspection | disinfection"),
    every: str = typer.Option(..., "--recurrence", help="'every 7d' or a cron string '0 8 * * mon'"),
    room: str = typer.Option("", help="SITE/ROOM"),
    unit: str = typer.Option("", help="unit code"),
    assignee: str = typer.Option("", help="username"),
) -> None:
    """Add a cleaning schedule for a room or a shelving unit."""
    site = room_code = None
    if room:
        site, room_code = _split_room(room)
    with session_scope(ctx_of(ctx).sessions) as s:
        sch = sv.create_schedule(
            s,
            kind=kind,
            recurrence=every,
            actor=CLI_ACTOR,
            site_code=site,
            room_code=room_code,
            unit_code=unit or None,
            assignee=assignee,
        )
        console.print(f"[green]schedule {sch.id} added[/] ({sch.kind}, {sch.recurrence})")


def register(app: typer.Typer) -> None:
    """Mount the inventory-core commands on the root ``kho`` app."""
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(shelving_app, name="shelving")
    app.add_typer(fonds_app, name="fonds")
    app.add_typer(boxes_app, name="boxes")
    app.add_typer(schedules_app, name="schedules")
