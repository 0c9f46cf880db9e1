"""`kho collect | simulate | status | deadletter`: the collector service, the simulator and their health."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType

import httpx
import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from collector.deadletter import DeadLetterStore
from collector.influx import safe_url
from collector.profiles import native
from collector.simulator import Simulator
from inventory import registry
from inventory.db import session_scope
from inventory.directory import DeviceEntry, load_directory, registry_version
from inventory.models import Site
from kho.cli.common import CliContext, console, ctx_of, fail

log = logging.getLogger("kho.collect")

deadletter_app = typer.Typer(help="Rejected messages (thư lỗi) kept for inspection.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Mount the collector's commands on the root app."""
    app.command("collect")(collect)
    app.command("simulate")(simulate)
    app.command("status")(status)
    app.add_typer(deadletter_app, name="deadletter")


def _check_registry(c: CliContext) -> None:
    try:
        with c.sessions() as s:
            registry_version(s)
    except DBAPIError:
        fail("registry database is not migrated / chưa tạo CSDL: run `kho db upgrade`")


def _wait_for_signal(timeout_s: float = 0.0) -> None:
    """Block until SIGINT/SIGTERM (or ``timeout_s`` when > 0)."""
    stop = threading.Event()
    deadline = time.monotonic() + timeout_s if timeout_s > 0 else float("inf")

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(min(1.0, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                break
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def collect(
    ctx: typer.Context,
    health_port: int | None = typer.Option(None, help="port of /healthz and /metrics (default collector.health_port)"),
    no_health: bool = typer.Option(False, "--no-health", help="do not serve /healthz"),
) -> None:
    """Run the collector service (bộ thu thập): MQTT → validate → rooms → InfluxDB, until Ctrl-C / SIGTERM."""
    from kho.filemodes import warn_wide_modes
    from kho.wiring import build_collector, health_server

    c = ctx_of(ctx)
    st = c.settings
    _check_registry(c)
    warn_wide_modes(st.state_dir)
    run = build_collector(st, c.sessions).start()
    collector = run.collector
    server = None
    if not no_health:
        port = health_port if health_port is not None else st.collector.health_port
        server = health_server(collector, st.collector.health_host, port)
        if not server.start():
            log.warning("could not serve /healthz on %s:%s (port in use?)", st.collector.health_host, port)
            server = None
    where = f"{server.url}/healthz" if server else "off"
    console.print(
        f"[green]Bộ thu thập đang chạy / collector running[/]: MQTT {st.mqtt.host}:{st.mqtt.port} → "
        f"InfluxDB {safe_url(st.influx.url)} db {st.influx.database}; health {where}. Ctrl-C để dừng / to stop."
    )
    try:
        _wait_for_signal()
    finally:
        console.print("[yellow]Đang dừng / stopping[/] (flushing and acknowledging)…")
        if server is not None:
            server.stop()
        run.stop()  # the collector, then its consumers (the alert engine's own threads)
        h = collector.health()
        console.print(
            f"[green]Đã dừng / stopped[/]: {h['received_total']} received, {h['written_total']} written, "
            f"{h['rejected_total']} rejected, {h['spool_depth']} in spool."
        )


DEFAULT_AT_S = 30.0


def _parse_at(values: list[str], option: str, devices: list[DeviceEntry]) -> dict[str, float]:
    """``DEVICE@SECONDS``, ``DEVICE`` (after 30 s) or ``SECONDS`` (first fitting device) → {device: seconds}."""
    out: dict[str, float] = {}
    ids = {d.id for d in devices}
    for v in values:
        dev, sep, secs = v.rpartition("@")
        if not sep:
            try:
                dev, at = "", float(v)
            except ValueError:
                dev, at = v, DEFAULT_AT_S
        else:
            try:
                at = float(secs)
            except ValueError:
                fail(f"{option} expects DEVICE@SECONDS, DEVICE or SECONDS, got {v!r}")
        if not dev:
            cands = [d for d in devices if d.has_smoke] if option == "--smoke-at" else devices
            if not cands:
                fail(f"{option}: no simulated device fits (smoke needs a device registered with --smoke)")
            dev = cands[0].id
        if dev not in ids:
            fail(f"{option}: device {dev} is not among the simulated devices")
        out[dev] = at
    return out


def simulate(
    ctx: typer.Context,
    devices: int = typer.Option(0, "--devices", "-n", help="simulate the first N registered devices (0 = all)"),
    rate: float = typer.Option(1.0, "--rate", "-r", help="readings per second per device"),
    duration: float = typer.Option(0.0, help="stop after this many seconds (0 = until Ctrl-C)"),
    smoke_at: list[str] = typer.Option(
        [], "--smoke-at", help="DEVICE@SECONDS, DEVICE or SECONDS: smoke for 60 s (repeatable)"
    ),
    offline: list[str] = typer.Option(
        [], "--offline", help="DEVICE[@SECONDS]: the node drops offline, its last will fires (default after 30 s)"
    ),
    bad_every: int = typer.Option(0, "--bad-every", help="every K-th message of a node is a bad payload"),
    humid_spell: bool = typer.Option(False, "--humid-spell", help="RH climbs to ~76 % after 10 s for 5 min"),
    create: int = typer.Option(0, "--create", help="first register N native demo devices (site sim, room sim-1)"),
    seed: int = typer.Option(1, help="random seed"),
) -> None:
    """Simulate sensor nodes (mô phỏng cảm biến) of every profile publishing to the broker."""
    c = ctx_of(ctx)
    _check_registry(c)
    if create:
        _create_demo_devices(c, create)
    with c.sessions() as s:
        fleet = sorted(load_directory(s).devices.values(), key=lambda d: d.id)
    if devices:
        fleet = fleet[:devices]
    if not fleet:
        fail("no devices registered / chưa có thiết bị: add some with `kho devices add` or use --create N")
    if rate <= 0:
        fail("--rate must be > 0")
    sim = Simulator(
        c.settings.mqtt,
        fleet,
        rate,
        seed=seed,
        bad_every=bad_every,
        smoke_at=_parse_at(smoke_at, "--smoke-at", fleet),
        offline=_parse_at(offline, "--offline", fleet),
        humid_spell=humid_spell,
    )
    sim.start()
    profiles = ", ".join(sorted({d.profile for d in fleet}))
    console.print(
        f"[green]Đang mô phỏng / simulating[/] {len(fleet)} devices ({profiles}) at {rate:g}/s each → "
        f"MQTT {c.settings.mqtt.host}:{c.settings.mqtt.port}. Ctrl-C để dừng / to stop."
    )
    try:
        _wait_for_signal(duration)
    finally:
        sim.stop()
        console.print(f"published {sim.published_total} messages ({sim.bad_total} deliberately bad)")


def _create_demo_devices(c: CliContext, n: int) -> None:
    with session_scope(c.sessions) as s:
        if not any(r.code == "sim" for r in _sites(s)):
            registry.create_site(s, "sim", "Simulated site")
            registry.create_room(s, "sim", "sim-1", "Simulated room")
        existing = {r.id for r in registry.list_devices(s)}
        for i in range(1, n + 1):
            dev = f"sim-{i:03d}"
            if dev not in existing:
                registry.add_device(
                    s,
                    dev,
                    native.PROFILE.name,  # the simulator's burst publishes native telemetry
                    "sim",
                    "sim-1",
                    hardware="simulated",
                    has_smoke=(i == 1),
                    interval_s=5,
                    actor="simulate",
                )


def _sites(s: Session) -> list[Site]:
    return list(s.scalars(select(Site)))


def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="print the raw JSON"),
    url: str = typer.Option("", help="health URL (default http://collector.health_host:health_port/healthz)"),
) -> None:
    """Health of the running collector (tình trạng bộ thu thập)."""
    st = ctx_of(ctx).settings
    url = url or f"http://{st.collector.health_host}:{st.collector.health_port}/healthz"
    try:
        r = httpx.get(url, timeout=5)
        h = r.json()
    except (httpx.HTTPError, ValueError):
        fail(f"no collector answers at {url} / bộ thu thập không chạy: start it with `kho collect`")
    if as_json:
        console.print_json(json.dumps(h))
        raise typer.Exit(0 if h.get("healthy") else 1)
    state = "[green]khỏe / healthy[/]" if h.get("healthy") else "[red]lỗi / UNHEALTHY[/]"
    t = Table(title=f"kho collector — {state}")
    t.add_column("")
    t.add_column("", justify="right")
    yes_no = {True: "[green]yes[/]", False: "[red]no[/]"}
    t.add_row("broker connected / kết nối MQTT", yes_no[bool(h.get("broker_connected"))])
    t.add_row("InfluxDB reachable", yes_no[bool(h.get("influx_reachable"))])
    for key in (
        "readings_per_s",
        "received_total",
        "readings_total",
        "written_total",
        "rejected_total",
        "clock_skew_total",
        "spool_depth",
        "spool_bytes",
        "spool_cap_bytes",
        "deadletter_count",
        "consumer_errors_total",
        "devices",
        "uptime_s",
    ):
        if key in h:
            t.add_row(key, str(h[key]))
    if h.get("last_message_ms"):
        last = datetime.fromtimestamp(h["last_message_ms"] / 1000, UTC)
        t.add_row("last message", last.isoformat(timespec="seconds"))
    for reason, n in sorted(h.get("rejects_by_reason", {}).items()):
        t.add_row(f"  rejected: {reason}", str(n))
    console.print(t)
    if not h.get("healthy"):
        raise typer.Exit(1)


@deadletter_app.command("list")
def deadletter_list(
    ctx: typer.Context,
    reason: str = typer.Option("", help="only this reason (not_json, out_of_range, unknown_device, …)"),
    limit: int = typer.Option(50, help="at most this many, newest first"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List rejected messages, newest first."""
    path = ctx_of(ctx).settings.state_dir / "collector" / "deadletter.db"
    if not path.exists():
        console.print("no rejected messages yet / chưa có thư lỗi")
        return
    store = DeadLetterStore(path)
    try:
        rows = store.list(reason or None, limit)
        counts = store.counts()
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in rows]))
        return
    t = Table("time (UTC)", "reason", "device", "topic", "detail", "payload")
    for r in rows:
        when = datetime.fromtimestamp(r.ts_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        t.add_row(when, r.reason, r.device_id or "", r.topic, r.detail, r.payload[:60].decode("utf-8", "replace"))
    console.print(t)
    console.print("stored by reason: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
