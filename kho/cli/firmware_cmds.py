"""`kho firmware render` (ESPHome YAML, Tasmota commands) and `kho broker credentials|rotate` (Mosquitto accounts)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import track

from firmware_configs.settings import FirmwareSettings
from inventory.db import session_scope
from inventory.errors import RegistryError
from kho.cli.common import console, ctx_of, err_console, fail

firmware_app = typer.Typer(help="Sensor node firmware configs generated from the registry.", no_args_is_help=True)
broker_app = typer.Typer(help="Mosquitto password file and ACL for the fleet.", no_args_is_help=True)


def _settings(ctx: typer.Context) -> FirmwareSettings:
    return ctx_of(ctx).settings.firmware


def _dir(ctx: typer.Context, given: Path | None, configured: str, default: str) -> Path:
    if given is not None:
        return given
    return Path(configured) if configured else ctx_of(ctx).settings.state_dir / default


@firmware_app.command("render")
def render_cmd(
    ctx: typer.Context,
    device: str | None = typer.Option(None, "--device", help="one node's id"),
    all_: bool = typer.Option(False, "--all", help="every node (of --site when given)"),
    site: str | None = typer.Option(None, "--site", help="site code, with --all"),
    out: Path | None = typer.Option(None, "--out", help="output directory (default <state_dir>/firmware)"),
    broker_host: str | None = typer.Option(None, "--broker-host", help="broker address as the nodes reach it"),
    broker_port: int | None = typer.Option(None, "--broker-port"),
) -> None:
    """Write <out>/<device>/<device>.yaml + secrets.yaml (ESPHome) or tasmota-commands.txt (Tasmota)."""
    from firmware_configs.nodes import load_node, load_nodes
    from firmware_configs.render import render_node

    if (device is None) == (not all_):
        fail("give either --device ID or --all [--site CODE]")
    fw = _settings(ctx)
    if broker_host or broker_port:
        fw = fw.model_copy(update={k: v for k, v in (("broker_host", broker_host), ("broker_port", broker_port)) if v})
    target = _dir(ctx, out, fw.firmware_dir, "firmware")
    with session_scope(ctx_of(ctx).sessions) as s:
        nodes = [load_node(s, device)] if device else load_nodes(s, site)
    if not nodes:
        fail(f"no nodes registered{f' in site {site}' if site else ''}")
    written = skipped = 0
    failed: list[str] = []
    for node in track(nodes, description="rendering", console=console, transient=True):
        try:
            res = render_node(node, target, fw)
        except RegistryError as e:
            if device:
                raise
            failed.append(node.id)  # one bad node must not stop the rest of the site
            err_console.print(f"[bold red]error:[/] {node.id}: {e}")
            continue
        if res.skipped:
            skipped += 1
            console.print(f"  [yellow]{node.id}[/]: {res.skipped}")
        for p in res.files:
            written += 1
            console.print(f"  {p}")
    console.print(
        f"[green]{written} file(s) written[/] in {target}" + (f", {skipped} node(s) skipped" if skipped else "")
    )
    if failed:
        fail(f"{len(failed)} node(s) not rendered: {', '.join(failed)}")


@firmware_app.command("topics")
def topics_cmd(
    ctx: typer.Context,
    device: str = typer.Option(..., "--device", help="node id"),
    out: Path | None = typer.Option(None, "--out", help="where the node's files were rendered"),
) -> None:
    """List the topics and example payloads a rendered node will publish (to check with mosquitto_sub)."""
    from firmware_configs.nodes import load_node
    from firmware_configs.render import firmware_of
    from inventory.profiles import get_profile

    fw = _settings(ctx)
    target = _dir(ctx, out, fw.firmware_dir, "firmware")
    with session_scope(ctx_of(ctx).sessions) as s:
        node = load_node(s, device)
    generated = firmware_of(node.profile)
    if generated is None:
        info = get_profile(node.profile)
        what = info.summary if info else ""
        for placeholder in ("<root>", "<prefix>", "<topic>"):
            what = what.replace(placeholder, node.topic)
        fail(f"{node.id} is a {node.profile} node, kho renders no files for it: {what}")
    path = target / node.id / generated.config_file(node)
    pubs = generated.publications(path.read_text(encoding="utf-8")) if path.exists() else None
    if pubs is None:
        fail(f"{path} not found: run `kho firmware render --device {node.id}` first")
    for p in pubs:
        console.print(f"{p.topic}  {p.example}" + ("  (retained)" if p.retain else ""))


@broker_app.command("credentials")
def credentials_cmd(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", help="directory for passwd and acl (default <state_dir>/broker)"),
    firmware_dir: Path | None = typer.Option(None, "--firmware-dir", help="where node secrets.yaml files live"),
) -> None:
    """Create/refresh the Mosquitto password file and ACL from the registry (existing passwords are kept)."""
    from firmware_configs.broker.credentials import generate_credentials
    from firmware_configs.nodes import load_nodes

    fw = _settings(ctx)
    broker_dir = _dir(ctx, out, fw.broker_dir, "broker")
    fdir = _dir(ctx, firmware_dir, fw.firmware_dir, "firmware")
    with session_scope(ctx_of(ctx).sessions) as s:
        nodes = load_nodes(s)
    res = generate_credentials(nodes, broker_dir, fdir, fw)
    console.print(
        f"[green]{res.passwd}[/] and [green]{res.acl}[/]: {len(res.created)} account(s) created, "
        f"{len(res.kept)} kept, {len(res.removed)} removed"
    )
    if res.conf is not None:
        console.print(f"  broker settings to include in mosquitto.conf: {res.conf}")
    for user in res.created:
        console.print(f"  + {user}")
    for user in res.removed:
        console.print(f"  - {user}")
    for p in res.secret_files:
        console.print(f"  password of a service account written to {p} (mode 600)")
    if res.created:
        console.print(f"  node passwords are in {fdir}/<device>/secrets.yaml; reload the broker (SIGHUP)")


@broker_app.command("rotate")
def rotate_cmd(
    ctx: typer.Context,
    device: str = typer.Argument(..., help="node id"),
    out: Path | None = typer.Option(None, "--out", help="directory of passwd and acl (default <state_dir>/broker)"),
    firmware_dir: Path | None = typer.Option(None, "--firmware-dir", help="where node secrets.yaml files live"),
) -> None:
    """Give one node a new broker password (other nodes are untouched)."""
    from firmware_configs.broker.credentials import rotate_password
    from firmware_configs.nodes import load_node

    fw = _settings(ctx)
    broker_dir = _dir(ctx, out, fw.broker_dir, "broker")
    fdir = _dir(ctx, firmware_dir, fw.firmware_dir, "firmware")
    with session_scope(ctx_of(ctx).sessions) as s:
        node = load_node(s, device)
    rotate_password(node, broker_dir, fdir)
    console.print(
        f"[green]new password for {device}[/] in {fdir / device / 'secrets.yaml'}: re-render and flash "
        "the node (`kho firmware render --device …`), then reload the broker (SIGHUP)"
    )


def register(app: typer.Typer) -> None:
    """Mount `kho firmware …` and `kho broker …`."""
    app.add_typer(firmware_app, name="firmware")
    app.add_typer(broker_app, name="broker")
