"""`kho demo`: the whole pipeline on one machine — broker, InfluxDB, registry, collector, web app, simulator.

Everything lives under ``settings.state_dir`` (default ``.kho/``): the ports chosen on the first run are
saved there and reused, so a second run finds its data, its broker sessions and its URLs where they were.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session, sessionmaker

from collector.influx_schema import CLIMATE, TAGS
from dashboards.wall.links import replace_link
from inventory import demo_data
from inventory.db import session_scope
from inventory.demo_data import NODES, SITE_CODE, SITE_NAME, seed_demo_registry
from inventory.directory import DeviceEntry, load_directory
from inventory.privatefiles import private_dir, touch_private, write_private
from kho.asgi_thread import ThreadedServer
from kho.cli.common import console, ctx_of, fail
from kho.localservers import free_port, influxd_server, mosquitto_server, port_open
from kho.settings import Settings
from kho.tls import PHONE_TRUST_STEPS, DemoCert, ensure_demo_cert, lan_address

log = logging.getLogger("kho.demo")

PORTS_FILE = "demo-ports.json"


def register(app: typer.Typer) -> None:
    """Mount ``kho demo`` on the root app."""
    app.command("demo")(demo)


# -------------------------------------------------------------------------------------------- ports


def choose_ports(state_dir: Path, web_default: int, web_explicit: bool = False) -> tuple[dict[str, int], list[str]]:
    """Ports saved by an earlier run (or new free ones), with a note for each that had to change.

    The web port is the configured one on the first run, or whenever it was set explicitly (``KHO_WEB__PORT``).
    """
    path = state_dir / PORTS_FILE
    saved: dict[str, int] = {}
    if path.exists():
        with contextlib.suppress(ValueError, OSError, AttributeError):
            saved = {k: int(v) for k, v in json.loads(path.read_text()).items()}
    web = web_default if web_explicit else saved.get("web", web_default)
    wanted = {
        "mqtt": saved.get("mqtt"),
        "influx": saved.get("influx"),
        "web": web,
        "influx_rpc": saved.get("influx_rpc"),
    }
    ports: dict[str, int] = {}
    notes: list[str] = []
    for name, port in wanted.items():
        if port and not port_open(port) and port not in ports.values():
            ports[name] = port
            continue
        new = free_port()
        while new in ports.values():
            new = free_port()
        if port and (name in saved or (name == "web" and web_explicit)):
            notes.append(f"cổng {port} ({name}) đang bận / port {port} for {name} is taken: using {new}")
        ports[name] = new
    write_private(path, (json.dumps(ports, indent=1) + "\n").encode())
    return ports, notes


# ------------------------------------------------------------------------------------------- seeding


def seed_demo_site(sessions: sessionmaker[Session]) -> bool:
    """Create the demo site, its two rooms and six nodes unless they exist; True when created now."""
    with session_scope(sessions) as s:
        return seed_demo_registry(s, interval_s=5, description="simulated by kho demo")


def seed_demo_inventory(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Shelving, boxes and demo users from ``inventory.demo_data`` (idempotent); username → password."""
    with session_scope(sessions) as s:
        result = demo_data.seed_demo_inventory(s, SITE_CODE)
    return dict(result.users)


def demo_fleet(sessions: sessionmaker[Session]) -> list[DeviceEntry]:
    """The demo site's nodes as the registry sees them now (a node moved elsewhere is not simulated)."""
    with sessions() as s:
        directory = load_directory(s)
    now_ms = int(time.time() * 1000)
    fleet = []
    for dev in directory.devices.values():
        pl = dev.placement_at(now_ms)
        if pl is not None and pl.site == SITE_CODE:
            fleet.append(dev)
    return sorted(fleet, key=lambda d: d.id)


def web_server(app: Any, host: str, port: int, **tls: Any) -> ThreadedServer:
    """The web app on a thread as the demo serves it: kho reads X-Forwarded-For itself, only from trusted
    proxies (inventory.auth), so uvicorn's own proxy-header handling is off."""
    return ThreadedServer(app, host, port, name="kho-web", access_log=False, proxy_headers=False, **tls)


# --------------------------------------------------------------------------------------------- output


def where_to_look(
    ports: dict[str, int],
    settings: Settings,
    fleet: list[DeviceEntry],
    users: dict[str, str] | None = None,
    phone: DemoCert | None = None,
    wall_token: str = "",
) -> Panel:
    """Every URL and an example query for each part that runs."""
    host = settings.web.host
    scheme = "https" if settings.web.tls_cert else "http"
    web = f"{scheme}://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{ports['web']}"
    influx = f"http://127.0.0.1:{ports['influx']}"
    db = settings.influx.database
    q = f"SELECT last(temperature_c), last(humidity_pct) FROM {CLIMATE} GROUP BY room, device"
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold cyan", no_wrap=True)
    t.add_column(overflow="fold")
    t.add_row("Web / giao diện", f"{web}/   (API docs: {web}/api/docs)")
    if phone is not None:
        base = settings.web.public_base_url
        t.add_row("Phone / điện thoại", f"{base}/   (labels point here / nhãn QR trỏ về đây)")
        t.add_row(
            "",
            f"Tin cậy chứng chỉ / trust the certificate once: open {base}/kho-demo-ca.crt on the phone "
            f"(or copy {phone.ca_cert}), then:",
        )
        for step in PHONE_TRUST_STEPS:
            t.add_row("", step)
    if wall_token:
        t.add_row("Wall / màn hình tường", f"{web}/wall/{SITE_CODE}?token={wall_token}   (read-only kiosk link)")
    if users:
        t.add_row("Login / đăng nhập", "   ".join(f"{u} / {p}" for u, p in users.items()) + "   (demo only)")
    t.add_row("Health / tình trạng", f"{web}/healthz   {web}/metrics   kho status --url {web}/healthz")
    t.add_row("InfluxDB", f"{influx}   database [bold]{db}[/], measurement {CLIMATE} (tags {', '.join(TAGS)})")
    t.add_row("", f"influx -port {ports['influx']} -database {db} -execute '{q}'")
    t.add_row(
        "",
        f"curl -sG {influx}/query --data-urlencode db={db} --data-urlencode "
        f'"q=SELECT mean(temperature_c) FROM {CLIMATE} WHERE time > now() - 5m GROUP BY room"',
    )
    t.add_row("MQTT broker", f"127.0.0.1:{ports['mqtt']}   mosquitto_sub -p {ports['mqtt']} -t '#' -v")
    t.add_row(
        "Grafana",
        "not started by the demo / demo không chạy Grafana: `kho grafana render` writes dashboards "
        "for a Grafana you run, `kho grafana publish` sends them (docs/dashboards.md)",
    )
    t.add_row("State / dữ liệu", f"{settings.state_dir.resolve()}  (delete it to start afresh)")
    nodes = ", ".join(f"{d.id} ({d.profile}{', smoke' if d.has_smoke else ''})" for d in fleet)
    t.add_row("Nodes / cảm biến", f"{SITE_CODE} {SITE_NAME}: {nodes}")
    return Panel(
        t, title="[bold green]kho demo đang chạy / is running[/] — Ctrl-C để dừng / to stop", border_style="green"
    )


def _demo_https(settings: Settings, port: int, explicit_base: bool) -> tuple[Settings, DemoCert]:
    """Settings for HTTPS on the LAN with the demo's own certificate (made for the LAN address)."""
    lan = lan_address()
    hosts = tuple(h for h in (lan, "localhost", "127.0.0.1") if h)
    cert = ensure_demo_cert(settings.state_dir / "tls", hosts)
    update: dict[str, Any] = {"tls_cert": str(cert.cert), "tls_key": str(cert.key)}
    if lan:
        update["host"] = "0.0.0.0"  # reachable from the phones on the LAN
    if not explicit_base:
        update["public_base_url"] = f"https://{lan or '127.0.0.1'}:{port}"
    return settings.model_copy(update={"web": settings.web.model_copy(update=update)}), cert


def _serve_ca(app: Any, cert: DemoCert) -> None:
    """``/kho-demo-ca.crt``: the demo CA's certificate (public), for a phone to install and trust."""
    from fastapi.responses import FileResponse

    def ca() -> FileResponse:
        return FileResponse(cert.ca_cert, media_type="application/x-x509-ca-cert", filename="kho-demo-ca.crt")

    app.add_api_route("/kho-demo-ca.crt", ca, include_in_schema=False)


def status_line(h: dict[str, Any], sim_published: int, elapsed: float) -> Text:
    """One line: rate, totals, spool and rejects from the collector's health."""
    rejects = ", ".join(f"{k}={v}" for k, v in sorted(h.get("rejects_by_reason", {}).items())) or "0"
    ok = "[green]khỏe / healthy[/]" if h.get("healthy") else "[red]lỗi / unhealthy[/]"
    return Text.from_markup(
        f"{ok}  {elapsed:5.0f} s  sim published {sim_published}  received {h.get('received_total', 0)}  "
        f"readings/s {h.get('readings_per_s', 0)}  written {h.get('written_total', 0)}  "
        f"spool {h.get('spool_depth', 0)}  rejects {rejects}  broker "
        f"{'✓' if h.get('broker_connected') else '✗'}  influx {'✓' if h.get('influx_reachable') else '✗'}"
    )


# ------------------------------------------------------------------------------------------ lifecycle


@contextlib.contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT/SIGTERM while the demo runs (previous handlers restored after)."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _lock_state_dir(state_dir: Path) -> Any:
    """An exclusive lock on the state directory: two demos on the same data would corrupt it."""
    import fcntl

    f = touch_private(state_dir / "demo.lock").open("a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        fail(f"another `kho demo` is running on {state_dir} / một kho demo khác đang chạy trên thư mục này")
    return f


def _wants_browser(browser: bool | None) -> bool:
    if browser is not None:
        return browser
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def demo(
    ctx: typer.Context,
    duration: float = typer.Option(0.0, help="stop after this many seconds (0 = until Ctrl-C)"),
    rate: float = typer.Option(1.0, help="readings per second per simulated node"),
    browser: bool | None = typer.Option(
        None, "--browser/--no-browser", help="open the web app in a browser (default: when a display is set)"
    ),
    smoke_at: float = typer.Option(0.0, help="seconds after start when qt-p1-a smells smoke (0 = never)"),
    https: bool = typer.Option(
        False,
        "--https/--no-https",
        help="serve HTTPS on the LAN with a demo certificate (phones need it for the camera scanner)",
    ),
) -> None:
    """Run everything locally (chạy thử toàn bộ): broker, InfluxDB, collector, web app and simulated nodes."""
    from collector.simulator import Simulator
    from kho import db as kho_db
    from kho.app import create_service_app
    from kho.wiring import build_collector

    c = ctx_of(ctx)
    if rate <= 0:
        fail("--rate must be > 0 / tần suất phải > 0")
    base = c.settings
    state_dir = private_dir(base.state_dir.resolve())
    lock = _lock_state_dir(state_dir)  # held until the process ends
    ports, notes = choose_ports(state_dir, base.web.port, "port" in base.web.model_fields_set)
    for note in notes:
        console.print(f"[yellow]{note}[/]")
    # One settings object for every part, pointed at the servers this demo runs.
    settings = base.model_copy(
        update={
            "state_dir": state_dir,
            "mqtt": base.mqtt.model_copy(update={"host": "127.0.0.1", "port": ports["mqtt"]}),
            "influx": base.influx.model_copy(update={"url": f"http://127.0.0.1:{ports['influx']}"}),
            "web": base.web.model_copy(update={"port": ports["web"]}),
            "backup": base.backup.model_copy(update={"influx_rpc": f"127.0.0.1:{ports['influx_rpc']}"}),
        }
    )
    phone: DemoCert | None = None
    if not (settings.web.tls_cert and settings.web.tls_key) and https:
        settings, phone = _demo_https(settings, ports["web"], "public_base_url" in base.web.model_fields_set)
    reused = (state_dir / "influxdb" / "meta").exists()
    console.print(
        ("[green]Dùng lại dữ liệu / reusing state[/] in " if reused else "[green]Tạo mới / new state[/] in ")
        + str(state_dir)
    )

    # Signals first, so a second Ctrl-C during shutdown does not cut the clean stop short.
    with stop_signals() as stop, contextlib.ExitStack() as stack:
        mq = mosquitto_server(state_dir, ports["mqtt"])
        influxd = influxd_server(state_dir, ports["influx"], rpc_port=ports["influx_rpc"])
        with console.status("Khởi động / starting Mosquitto and InfluxDB …"):
            mq.start()
            stack.callback(mq.stop)
            influxd.start()
            stack.callback(influxd.stop)
        with console.status("Cơ sở dữ liệu / migrating the registry …"):
            logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per revision is noise here
            kho_db.upgrade(settings.database_url)
        sessions = c.sessions
        if seed_demo_site(sessions):
            console.print(f"Đã tạo / created demo site {SITE_CODE} ({SITE_NAME}): 2 rooms, {len(NODES)} nodes")
        with console.status("Kho hồ sơ mẫu / seeding the demo inventory …"):
            users = seed_demo_inventory(sessions)
        fleet = demo_fleet(sessions)

        run = build_collector(settings, sessions, state_dir / "collector").start()
        stack.callback(run.stop)  # the collector, then the alert engine: it sees the last readings
        collector = run.collector

        app = create_service_app(settings, collector=collector)
        tls: dict[str, Any] = {}
        if settings.web.tls_cert and settings.web.tls_key:
            tls = {"ssl_certfile": str(settings.web.tls_cert), "ssl_keyfile": str(settings.web.tls_key)}
        if phone is not None:
            _serve_ca(app, phone)
        web = web_server(app, settings.web.host, ports["web"], **tls)
        if not web.start(30):
            raise RuntimeError(f"the web app did not start on port {ports['web']}")
        stack.callback(web.stop)

        smoke = {"qt-p1-a": smoke_at} if smoke_at > 0 and any(d.id == "qt-p1-a" for d in fleet) else {}
        sim = Simulator(settings.mqtt, fleet, rate, smoke_at=smoke, client_prefix="kho-demo")
        if fleet:
            sim.start()
            stack.callback(sim.stop)

        with session_scope(sessions) as s:
            wall_token = replace_link(s, "kho demo", SITE_CODE, "demo")
        console.print(where_to_look(ports, settings, fleet, users, phone, wall_token))
        if _wants_browser(browser):
            with contextlib.suppress(Exception):
                webbrowser.open(f"{'https' if tls else 'http'}://127.0.0.1:{ports['web']}/")
        t0 = time.monotonic()
        with Live(
            status_line(collector.health(), 0, 0), console=console, refresh_per_second=2, transient=False
        ) as live:
            while not stop.wait(1.0):
                elapsed = time.monotonic() - t0
                live.update(status_line(collector.health(), sim.published_total, elapsed))
                if duration and elapsed >= duration:
                    break
        console.print()
        console.print("[yellow]Đang dừng / stopping[/] simulator, web app, collector, InfluxDB, Mosquitto …")
    console.print(f"[green]Đã dừng / stopped.[/] State kept in {state_dir}; run `kho demo` again to continue.")
    lock.close()
