"""Ingest benchmark: readings/s landed in InfluxDB for kho's collector, the broker's ceiling and two peers.

One private Mosquitto and one influxd (started with ``kho.localservers``) serve every contestant in turn:

1. ``mosquitto_sub -C N > /dev/null`` — the broker's ceiling on this machine (messages/s received);
2. kho's collector (``kho collect`` as a subprocess, configured with ``KHO_*`` env vars);
3. ``mqtt2influxdb`` 1.5.2 from PyPI in its own venv (a bridge users pick; old ``influxdb`` v1 client);
4. Node-RED with ``node-red-contrib-influxdb`` (mqtt in → function → join → influxdb batch).

Each consumer is subscribed (persistent session where it supports one) before a raw-socket MQTT publisher
pushes N native readings at QoS 1 as fast as the broker takes them; the clock runs from the first publish to
the moment InfluxQL counts all N points (or the timeout). CPU seconds come from psutil on the consumer's
process tree. The last output line is one JSON object with the figures.

    .venv/bin/python benchmarks/ingest.py            # 200,000 readings, all contestants
    .venv/bin/python benchmarks/ingest.py --quick    # 30,000 readings, ceiling and kho only
    .venv/bin/python benchmarks/ingest.py --quick --profile   # kho only, under py-spy: where time goes

Other ``KHO_*`` variables in the environment reach ``kho collect`` (e.g. ``KHO_COLLECTOR__BATCH_MAX_LINES``).
Each run works in ``benchmarks/.work/ingest-<time>-<pid>/`` (logs and the py-spy profile stay there).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collector.influx_schema import CLIMATE, ident  # noqa: E402
from kho.localservers import (  # noqa: E402
    InfluxServer,
    ManagedServer,
    free_port,
    influxd_server,
    mosquitto_server,
)

WORK = ROOT / "benchmarks" / ".work"
CORES = os.cpu_count() or 1
TOPIC_FILTER = "kho/+/telemetry"
WARM_DEVICE = "warm"
SITE, ROOM = "BENCH", "R1"
console = Console(stderr=True)
out_console = Console(width=max(Console().width, 150))


# ---------------------------------------------------------------------------------------------- payloads


def device_id(d: int) -> str:
    return f"n{d:03d}"


def payload(i: int, devices: int, base_ms: int) -> tuple[bytes, bytes]:
    """Topic and native JSON of reading ``i``: each device's readings are 1 ms apart, so no two collide.

    Values stay inside a paper room's targets (19–21 °C, 47–53 %): a healthy room, as most of the time, so the
    alert engine fed by the collector sees steady state rather than an alarm storm.
    """
    d, k = i % devices, i // devices
    ts = (base_ms + k) / 1000
    body = (
        f'{{"ts":{ts:.3f},"seq":{k},"temperature_c":{19 + (i % 21) / 10:.1f},'
        f'"humidity_pct":{47 + (i % 61) / 10:.1f},"smoke":false,"smoke_level":0.02,"battery_v":3.9}}'
    )
    return f"kho/{device_id(d)}/telemetry".encode(), body.encode()


# ------------------------------------------------------------------------------------ raw MQTT publisher
# A hand-rolled MQTT 3.1.1 QoS 1 publisher: paho spends more CPU per message than the broker does, and on
# two shared cores that would cap the ceiling at the publisher's speed rather than the broker's.


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _connect_packet(client_id: str, clean: bool = True) -> bytes:
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x04" + bytes([0x02 if clean else 0x00]) + struct.pack("!H", 0)
    body += struct.pack("!H", len(cid)) + cid
    return b"\x10" + _varint(len(body)) + body


def _publish_packet(topic: bytes, pid: int, body: bytes) -> bytes:
    rest = struct.pack("!H", len(topic)) + topic + struct.pack("!H", pid) + body
    return b"\x32" + _varint(len(rest)) + rest


def _publisher_worker(
    port: int,
    start: int,
    stop: int,
    devices: int,
    base_ms: int,
    window: int,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """Publish readings ``start..stop`` at QoS 1 with at most ``window`` unacknowledged; report times."""
    packets = []
    for i in range(start, stop):
        topic, body = payload(i, devices, base_ms)
        packets.append(_publish_packet(topic, (i % 65535) + 1, body))
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(_connect_packet(f"bench-pub-{os.getpid()}"))
    connack = sock.recv(4)
    if len(connack) < 4 or connack[3] != 0:
        results.put(("error", f"CONNACK refused: {connack!r}"))
        return
    acked = [0]
    cond = threading.Condition()

    def read_acks() -> None:
        # Every packet the broker sends us is a 4-byte PUBACK (no subscriptions, keepalive off).
        pending = 0
        while acked[0] < len(packets):
            chunk = sock.recv(65536)
            if not chunk:
                break
            pending += len(chunk)
            with cond:
                acked[0] += pending // 4
                pending %= 4
                cond.notify_all()

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    ready.put(os.getpid())
    go.wait()
    t_first = time.time()
    cpu0 = time.process_time()
    sent = 0
    while sent < len(packets):
        with cond:
            while sent - acked[0] > window:
                cond.wait(0.5)
        chunk = packets[sent : sent + 500]
        sock.sendall(b"".join(chunk))
        sent += len(chunk)
    reader.join(300)
    t_done = time.time()
    results.put(("ok", t_first, t_done, acked[0], time.process_time() - cpu0))
    sock.close()


@dataclass
class PublishResult:
    t_first: float
    t_done: float
    acked: int
    cpu_s: float = 0.0


def publish_burst(port: int, n: int, devices: int, base_ms: int, connections: int) -> PublishResult:
    """Publish ``n`` readings over ``connections`` sockets in child processes; returns when all are acked."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    bounds = [n * c // connections for c in range(connections + 1)]
    procs = [
        ctx.Process(
            target=_publisher_worker,
            args=(port, bounds[c], bounds[c + 1], devices, base_ms, 20_000, ready, go, results),
            daemon=True,
        )
        for c in range(connections)
    ]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=120)
        go.set()
        outs = [results.get(timeout=900) for _ in procs]
    finally:
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.kill()
    errors = [o[1] for o in outs if o[0] != "ok"]
    if errors:
        raise RuntimeError(f"publisher failed: {errors[0]}")
    return PublishResult(
        min(o[1] for o in outs), max(o[2] for o in outs), sum(o[3] for o in outs), sum(o[4] for o in outs)
    )


class WarmPublisher:
    """Publishes one reading of the ``warm`` device every 0.3 s until a consumer is seen writing."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(_connect_packet(f"bench-warm-{os.getpid()}"))
        sock.recv(4)
        pid = 1
        while not self._stop.is_set():
            body = (
                f'{{"ts":{time.time():.3f},"temperature_c":20.0,"humidity_pct":50.0,'
                f'"smoke":false,"smoke_level":0.0,"battery_v":3.9}}'
            ).encode()
            sock.sendall(_publish_packet(f"kho/{WARM_DEVICE}/telemetry".encode(), pid, body))
            pid = pid % 65535 + 1
            self._stop.wait(0.3)
        sock.sendall(b"\xe0\x00")  # DISCONNECT
        time.sleep(0.1)
        sock.close()

    def __enter__(self) -> WarmPublisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


# ------------------------------------------------------------------------------------------- InfluxDB


class Influx:
    """Just enough of InfluxDB's v1 HTTP API to set up databases and count what landed."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)

    def query(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        params = {"q": q, **({"db": db} if db else {})}
        r = self.http.post("/query", params=params)
        r.raise_for_status()
        return list(r.json().get("results", [{}])[0].get("series", []))

    def recreate(self, db: str) -> None:
        self.query(f'DROP DATABASE "{db}"')
        self.query(f'CREATE DATABASE "{db}"')

    def count(self, db: str, where: str) -> int:
        series = self.query(f"SELECT count(temperature_c) FROM {ident(CLIMATE)} WHERE {where}", db)
        return int(series[0]["values"][0][1]) if series else 0

    def http_stats(self) -> dict[str, int]:
        """The server's HTTP counters since it started (``writeReq``, ``pointsWrittenOK``, …)."""
        for s in self.query("SHOW STATS FOR 'httpd'"):
            return {k: int(v) for k, v in zip(s["columns"], s["values"][0], strict=False) if isinstance(v, int | float)}
        return {}

    def points_written(self) -> int:
        """Points the server accepted over HTTP since it started (counts overwrites too)."""
        return self.http_stats().get("pointsWrittenOK", 0)


# ------------------------------------------------------------------------------------------- processes


def tree_cpu_s(proc: psutil.Process) -> float:
    """User + system CPU seconds of ``proc`` and its live descendants."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def tree_rss_mb(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


class RssSampler:
    """Samples a process tree's resident memory every 100 ms and keeps the peak."""

    def __init__(self, proc: psutil.Process) -> None:
        self.proc, self.peak_mb = proc, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak_mb = max(self.peak_mb, tree_rss_mb(self.proc))
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)


_children: list[subprocess.Popen[bytes]] = []


def spawn(
    argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None, stdout_null: bool = False
) -> subprocess.Popen[bytes]:
    """Start a child in its own process group (so it and its children can be stopped together)."""
    with log.open("ab") as f:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL if stdout_null else f,
            stderr=f,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT, timeout_s: float = 15.0) -> None:
    """Ask politely, then SIGTERM, then SIGKILL the child's whole process group."""
    for s, wait in ((sig, timeout_s), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, s)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers in the group
    if proc in _children:
        _children.remove(proc)


def stop_all_children() -> None:
    for proc in list(_children):
        stop(proc, signal.SIGTERM, 5.0)


def purge_session(port: int, client_id: str) -> None:
    """Connect once with a clean session so a finished contestant's queue does not keep filling."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(_connect_packet(client_id, clean=True))
        s.recv(4)
        s.sendall(b"\xe0\x00")


# ---------------------------------------------------------------------------------------- contestants


@dataclass
class Outcome:
    name: str
    landed: int = 0
    seconds: float = 0.0
    cpu_s: float | None = None
    peak_rss_mb: float | None = None
    note: str = ""
    ok: bool = False
    # CPU seconds the broker, influxd and the publisher spent in the same window: the rest of the pipeline.
    others_cpu_s: float | None = None

    # A contestant still writing at the timeout gets its steady rate over the window (marked partial).
    partial: bool = False

    @property
    def rps(self) -> float | None:
        return self.landed / self.seconds if (self.ok or self.partial) and self.seconds > 0 else None

    @property
    def cpu_per_1k(self) -> float | None:
        return self.cpu_s / self.landed * 1000 if self.cpu_s is not None and self.landed else None

    @property
    def others_per_1k(self) -> float | None:
        return self.others_cpu_s / self.landed * 1000 if self.others_cpu_s is not None and self.landed else None

    @property
    def bound_rps(self) -> float | None:
        """Readings/s this machine's cores could carry if the consumer itself cost no CPU at all."""
        per = self.others_per_1k
        return CORES * 1000 / per if per else None


@dataclass
class Bench:
    n: int
    devices: int
    connections: int
    timeout_s: float
    mq: ManagedServer
    influxd: InfluxServer
    work: Path
    influx: Influx = field(init=False)

    def __post_init__(self) -> None:
        self.influx = Influx(self.influxd.url)

    def server_cpu_s(self) -> float:
        """CPU seconds used so far by the broker and influxd."""
        total = 0.0
        for srv in (self.mq, self.influxd):
            if srv.proc is not None:
                with contextlib.suppress(psutil.Error):
                    total += tree_cpu_s(psutil.Process(srv.proc.pid))
        return total

    def publish(self) -> PublishResult:
        base_ms = int(time.time() * 1000) - 2_000
        return publish_burst(self.mq.port, self.n, self.devices, base_ms, self.connections)

    def wait_ready(self, db: str, proc: subprocess.Popen[bytes], what: str, timeout_s: float = 90) -> None:
        """Publish warm-up readings until the consumer writes one to ``db`` (it is then subscribed)."""
        deadline = time.monotonic() + timeout_s
        with WarmPublisher(self.mq.port):
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
                with contextlib.suppress(httpx.HTTPError, KeyError, IndexError):
                    if self.influx.count(db, f"device = '{WARM_DEVICE}'") > 0:
                        time.sleep(0.5)  # let the last warm-ups drain so they do not overlap the burst
                        return
                time.sleep(0.3)
        raise RuntimeError(f"{what} wrote nothing to InfluxDB within {timeout_s:.0f} s")

    def measure(
        self,
        name: str,
        db: str,
        proc: subprocess.Popen[bytes],
        counter: Callable[[], int],
        on_start: Callable[[], None] | None = None,
        timeout_s: float | None = None,
    ) -> Outcome:
        """Publish the burst while ``proc`` consumes; stop the clock when ``counter`` reaches N."""
        ps = psutil.Process(proc.pid)
        out = Outcome(name)
        stats0 = self.influx.http_stats()
        cpu0 = tree_cpu_s(ps)
        servers0 = self.server_cpu_s()
        with RssSampler(ps) as rss:
            if on_start:
                on_start()
            box: dict[str, PublishResult] = {}
            pub = threading.Thread(target=lambda: box.setdefault("r", self.publish()), daemon=True)
            pub.start()
            t_start = time.time()
            landed = 0
            points0 = stats0.get("pointsWrittenOK", 0)
            while True:
                time.sleep(0.25)
                with contextlib.suppress(httpx.HTTPError, KeyError, IndexError):
                    # The exact count is an InfluxQL query over all that was written: run it only once the
                    # server has accepted N points, so polling does not load influxd during the run.
                    if self.influx.points_written() - points0 >= self.n:
                        landed = counter()
                now = time.time()
                if landed >= self.n:
                    out.ok = True
                    break
                if proc.poll() is not None:
                    out.note = f"exited with {proc.returncode}"
                    break
                if now - t_start > (timeout_s or self.timeout_s):
                    out.note = f"stopped after {timeout_s or self.timeout_s:.0f} s"
                    with contextlib.suppress(httpx.HTTPError, KeyError, IndexError):
                        landed = counter()
                    out.partial = landed > 0
                    break
            cpu1 = tree_cpu_s(ps) if proc.poll() is None else cpu0
            servers1 = self.server_cpu_s()
            pub.join(60)
        t0 = box["r"].t_first if "r" in box else t_start
        out.landed, out.seconds = landed, now - t0
        if landed > self.n:  # more distinct points than readings published: something wrote extra points
            out.note = f"{landed - self.n:,} MORE points than published"
        out.cpu_s, out.peak_rss_mb = cpu1 - cpu0, rss.peak_mb
        if "r" in box:
            out.others_cpu_s = servers1 - servers0 + box["r"].cpu_s
        with contextlib.suppress(httpx.HTTPError):
            stats1 = self.influx.http_stats()
            writes = stats1.get("writeReq", 0) - stats0.get("writeReq", 0)
            points = stats1.get("pointsWrittenOK", 0) - stats0.get("pointsWrittenOK", 0)
            if writes:
                batches = f"{writes:,} writes, mean {points / writes:,.0f} points"
                out.note = f"{out.note}; {batches}" if out.note else batches
        return out

    # -- 1. ceiling
    def ceiling(self) -> Outcome:
        cid = "bench-ceiling"
        sub = [
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.mq.port),
            "-i",
            cid,
            "-c",
            "-q",
            "1",
            "-t",
            TOPIC_FILTER,
        ]
        # Create the persistent session first: messages published before the real run connects are queued.
        subprocess.run([*sub, "-E"], check=True, timeout=30, capture_output=True)
        proc = spawn([*sub, "-C", str(self.n)], self.work / "mosquitto_sub.log", stdout_null=True)
        try:
            servers0 = self.server_cpu_s()
            res = self.publish()
            deadline = time.monotonic() + self.timeout_s
            ru = None
            while time.monotonic() < deadline:
                pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    ru, proc.returncode = usage, 0
                    break
                time.sleep(0.005)
            t_end = time.time()
            out = Outcome("mosquitto_sub → /dev/null (ceiling)", note="messages received")
            if ru is None:
                out.note = "timeout"
                return out
            out.ok, out.landed, out.seconds = True, self.n, t_end - res.t_first
            out.cpu_s = ru.ru_utime + ru.ru_stime
            out.others_cpu_s = self.server_cpu_s() - servers0 + res.cpu_s
            return out
        finally:
            stop(proc, signal.SIGTERM)
            purge_session(self.mq.port, cid)

    # -- 2. kho
    def kho(self, profile: bool = False, alerts: bool = True) -> Outcome:
        db, cid = "bench_kho", "bench-kho"
        self.influx.recreate(db)
        registry = self.work / "registry.db"
        make_registry(registry, self.devices)
        env = {
            **os.environ,
            "KHO_STATE_DIR": str(self.work / "kho-state"),
            "KHO_LOG_LEVEL": "WARNING",
            "KHO_DATABASE__URL": f"sqlite:///{registry}",
            "KHO_MQTT__HOST": "127.0.0.1",
            "KHO_MQTT__PORT": str(self.mq.port),
            "KHO_MQTT__CLIENT_ID": cid,
            "KHO_INFLUX__URL": self.influxd.url,
            "KHO_INFLUX__DATABASE": db,
            "KHO_COLLECTOR__HEALTH_PORT": str(free_port()),
        }
        if not alerts:
            env["KHO_ALERTS__ENABLED"] = "false"
        kho_bin = str(Path(sys.executable).parent / "kho")
        proc = spawn([kho_bin, "collect"], self.work / "kho-collect.log", env=env)
        spy: subprocess.Popen[bytes] | None = None
        prof_file = self.work / "kho-profile.txt"

        def start_profiler() -> None:
            nonlocal spy
            if profile:
                spy = spawn(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "--pid",
                        str(proc.pid),
                        "--rate",
                        "200",
                        "--format",
                        "raw",
                        "--output",
                        str(prof_file),
                        "--nonblocking",
                    ],
                    self.work / "py-spy.log",
                )
                time.sleep(1.0)

        try:
            self.wait_ready(db, proc, "kho collect")
            out = self.measure(
                "kho collector", db, proc, lambda: self.influx.count(db, f"device != '{WARM_DEVICE}'"), start_profiler
            )
            out.name = "kho collector" + ("" if alerts else ", alert engine off")
            out.name += " (under py-spy)" if profile else ""
            return out
        finally:
            if spy is not None:
                stop(spy, signal.SIGINT, 20)
            stop(proc)
            purge_session(self.mq.port, cid)
            if profile:
                print_profile(prof_file)

    # -- 3. mqtt2influxdb
    def mqtt2influxdb(self) -> Outcome:
        db = "bench_m2i"
        exe = ensure_mqtt2influxdb()
        self.influx.recreate(db)
        conf = self.work / "mqtt2influxdb.yml"
        conf.write_text(
            M2I_CONFIG.format(mq_port=self.mq.port, influx_port=self.influxd.port, db=db, topic=TOPIC_FILTER)
        )
        proc = spawn([str(exe), "-c", str(conf)], self.work / "mqtt2influxdb.log")
        try:
            self.wait_ready(db, proc, "mqtt2influxdb")
            # It stamps points with the receive time at 1-second resolution, so readings of one device within
            # a second overwrite each other: count points accepted by /write instead of distinct points.
            base = [0]

            def counter() -> int:
                return self.influx.points_written() - base[0]

            def mark() -> None:
                base[0] = self.influx.points_written()

            # It writes one HTTP request per message: give it 90 s (its rate is steady by then), not hours.
            out = self.measure("mqtt2influxdb 1.5.2", db, proc, counter, mark, timeout_s=min(90.0, self.timeout_s))
            distinct = self.influx.count(db, f"device != '{WARM_DEVICE}'")
            out.note = (out.note + "; " if out.note else "") + (f"QoS 0; {distinct:,} distinct points (1 s timestamps)")
            return out
        finally:
            stop(proc)

    # -- 4. Node-RED
    def node_red(self) -> Outcome:
        db, cid = "bench_nodered", "bench-nodered"
        node_dir = ensure_node_red()
        self.influx.recreate(db)
        user_dir = self.work / "node-red"
        user_dir.mkdir(exist_ok=True)
        flows = user_dir / "flows.json"
        flows.write_text(json.dumps(node_red_flows(self.mq.port, self.influxd.port, db, cid), indent=1))
        settings = user_dir / "settings.js"
        settings.write_text(NODE_RED_SETTINGS.format(port=free_port(), nodes_dir=node_dir / "node_modules"))
        proc = spawn(
            [
                "node",
                str(node_dir / "node_modules" / "node-red" / "red.js"),
                "--userDir",
                str(user_dir),
                "--settings",
                str(settings),
                str(flows),
            ],
            self.work / "node-red.log",
        )
        try:
            self.wait_ready(db, proc, "Node-RED", timeout_s=120)
            out = self.measure(
                "Node-RED 4 + influxdb batch", db, proc, lambda: self.influx.count(db, f"device != '{WARM_DEVICE}'")
            )
            out.note = (out.note + "; " if out.note else "") + "QoS 1, join 1,000 / 1 s"
            return out
        finally:
            stop(proc)
            purge_session(self.mq.port, cid)


def prune_old_runs(keep: int) -> None:
    """Delete all but the newest ``keep`` run directories (older than an hour, so never a running one)."""
    runs = sorted(WORK.glob("ingest-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        if time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)


def make_registry(path: Path, devices: int) -> None:
    """A registry with the benchmark site, one room and its native nodes (unknown nodes would be rejected)."""
    from inventory.db import make_engine, make_sessionmaker, session_scope
    from inventory.registry import add_device, create_room, create_site
    from kho import db as kho_db

    if path.exists():
        return
    url = f"sqlite:///{path}"
    kho_db.upgrade(url)
    engine = make_engine(url)
    since = datetime.now(UTC) - timedelta(days=1)
    with session_scope(make_sessionmaker(engine)) as s:
        create_site(s, SITE, "Benchmark")
        create_room(s, SITE, ROOM, "Benchmark room")
        for dev in [WARM_DEVICE, *(device_id(d) for d in range(devices))]:
            add_device(s, dev, "native", SITE, ROOM, since=since)
    engine.dispose()


# -------------------------------------------------------------------------------------------- peers


M2I_CONFIG = """\
mqtt:
  host: 127.0.0.1
  port: {mq_port}
influxdb:
  host: 127.0.0.1
  port: {influx_port}
  database: {db}
points:
  - measurement: climate
    topic: {topic}
    fields:
      temperature_c: $.payload.temperature_c
      humidity_pct: $.payload.humidity_pct
      smoke_level: $.payload.smoke_level
      battery_v: $.payload.battery_v
      smoke:
        value: $.payload.smoke
        type: int
    tags:
      site: BENCH
      room: R1
      device: $.topic[1]
"""


def ensure_mqtt2influxdb() -> Path:
    """mqtt2influxdb 1.5.2 in its own venv; it calls paho's ``Client()`` the 1.x way, so paho-mqtt<2."""
    venv = WORK / "m2i-venv"
    exe = venv / "bin" / "mqtt2influxdb"
    if exe.exists():
        return exe
    base_python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    console.print("installing mqtt2influxdb 1.5.2 into benchmarks/.work/m2i-venv …")
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "mqtt2influxdb==1.5.2", "paho-mqtt<2"], check=True, timeout=600
    )
    return exe


NODE_RED_SETTINGS = """\
module.exports = {{
    uiHost: "127.0.0.1",
    uiPort: {port},
    nodesDir: "{nodes_dir}",
    credentialSecret: false,
    logging: {{ console: {{ level: "warn", metrics: false, audit: false }} }},
    editorTheme: {{ projects: {{ enabled: false }} }},
    diagnostics: {{ enabled: false }},
    telemetry: {{ enabled: false }},
}};
"""

NODE_RED_FUNCTION = """\
const p = msg.payload;
msg.payload = {
    measurement: "climate",
    tags: {site: "BENCH", room: "R1", device: msg.topic.split("/")[1]},
    fields: {temperature_c: p.temperature_c, humidity_pct: p.humidity_pct, smoke: p.smoke ? 1 : 0,
             smoke_level: p.smoke_level, battery_v: p.battery_v},
    timestamp: new Date(Math.round(p.ts * 1000)),
};
return msg;
"""


def node_red_flows(mq_port: int, influx_port: int, db: str, client_id: str) -> list[dict[str, Any]]:
    """mqtt in (QoS 1, persistent session) → function (point) → join (1,000 or 1 s) → influxdb batch (ms)."""
    return [
        {"id": "tab1", "type": "tab", "label": "bench"},
        {
            "id": "broker1",
            "type": "mqtt-broker",
            "name": "bench",
            "broker": "127.0.0.1",
            "port": str(mq_port),
            "clientid": client_id,
            "autoConnect": True,
            "usetls": False,
            "protocolVersion": "4",
            "keepalive": "60",
            "cleansession": False,
            "autoUnsubscribe": False,
            "birthTopic": "",
            "closeTopic": "",
            "willTopic": "",
        },
        {
            "id": "influx1",
            "type": "influxdb",
            "hostname": "127.0.0.1",
            "port": str(influx_port),
            "protocol": "http",
            "database": db,
            "name": "bench",
            "usetls": False,
            "tls": "",
            "influxdbVersion": "1.x",
            "url": "",
            "rejectUnauthorized": True,
        },
        {
            "id": "in1",
            "type": "mqtt in",
            "z": "tab1",
            "name": "",
            "topic": TOPIC_FILTER,
            "qos": "1",
            "datatype": "json",
            "broker": "broker1",
            "nl": False,
            "rap": True,
            "rh": 0,
            "inputs": 0,
            "wires": [["fn1"]],
        },
        {
            "id": "fn1",
            "type": "function",
            "z": "tab1",
            "name": "to point",
            "func": NODE_RED_FUNCTION,
            "outputs": 1,
            "wires": [["join1"]],
        },
        {
            "id": "join1",
            "type": "join",
            "z": "tab1",
            "name": "",
            "mode": "custom",
            "build": "array",
            "property": "payload",
            "propertyType": "msg",
            "key": "topic",
            "joiner": "\\n",
            "joinerType": "str",
            "accumulate": False,
            "timeout": "1",
            "count": "1000",
            "reduce": False,
            "wires": [["batch1"]],
        },
        {
            "id": "batch1",
            "type": "influxdb batch",
            "z": "tab1",
            "influxdb": "influx1",
            "precision": "ms",
            "retentionPolicy": "",
            "name": "",
            "database": "",
            "precisionV18FluxV20": "ms",
            "retentionPolicyV18Flux": "",
            "org": "",
            "bucket": "",
            "wires": [],
        },
    ]


def ensure_node_red() -> Path:
    """node-red and node-red-contrib-influxdb installed with npm under benchmarks/.work/nodered."""
    d = WORK / "nodered"
    modules = d / "node_modules"
    if (modules / "node-red" / "red.js").exists() and (modules / "node-red-contrib-influxdb").exists():
        return d
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise RuntimeError("node/npm not installed (apt-get install nodejs npm)")
    d.mkdir(parents=True, exist_ok=True)
    console.print("installing node-red and node-red-contrib-influxdb with npm into benchmarks/.work/nodered …")
    if not (d / "package.json").exists():
        (d / "package.json").write_text('{"name": "kho-bench-nodered", "private": true}\n')
    r = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "node-red", "node-red-contrib-influxdb"],
        cwd=d,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if r.returncode != 0:
        raise RuntimeError(f"npm install failed: {r.stderr.strip().splitlines()[-1:]}")
    return d


# ------------------------------------------------------------------------------------------- profile


def print_profile(path: Path, top: int = 20) -> None:
    """Aggregate py-spy's raw (collapsed) stacks: own time per function and time including callees."""
    if not path.exists():
        console.print(f"[yellow]no profile written ({path})[/]")
        return
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        console.print("[yellow]the profile is empty[/]")
        return
    for title, counter in (("own time", own), ("including callees", incl)):
        t = Table(title=f"kho collector — top {top} by {title} ({total:,} samples, all threads)")
        t.add_column("%", justify="right")
        t.add_column("function (file:line)")
        for fn, n in counter.most_common(top):
            t.add_row(f"{100 * n / total:.1f}", fn)
        out_console.print(t)


# ---------------------------------------------------------------------------------------------- main


def results_table(outcomes: list[Outcome], ceiling: float | None) -> Table:
    t = Table(title="Ingest benchmark — readings landed in InfluxDB (same broker, same influxd, one run)")
    for col in (
        "contestant",
        "landed",
        "seconds",
        "readings/s",
        "× ceiling",
        "CPU s / 1k",
        "others CPU s / 1k",
        "bound/s",
        "peak RSS MB",
        "note",
    ):
        t.add_column(col, justify="left" if col in ("contestant", "note") else "right")
    for o in outcomes:
        rps = o.rps
        t.add_row(
            o.name + (" (partial)" if o.partial else ""),
            f"{o.landed:,}",
            f"{o.seconds:.2f}",
            f"{rps:,.0f}" if rps else "—",
            f"{rps / ceiling:.2f}" if rps and ceiling else "—",
            f"{o.cpu_per_1k:.3f}" if o.cpu_per_1k is not None else "—",
            f"{o.others_per_1k:.3f}" if o.others_per_1k is not None else "—",
            f"{o.bound_rps:,.0f}" if o.bound_rps else "—",
            f"{o.peak_rss_mb:.0f}" if o.peak_rss_mb else "—",
            o.note,
        )
    return t


def median_outcome(outcomes: list[Outcome]) -> Outcome:
    """The round with the median rate (its CPU figures with it); peak RSS is the highest of all rounds."""
    if len(outcomes) == 1:
        return outcomes[0]
    rated = sorted((o for o in outcomes if o.rps), key=lambda o: o.rps or 0.0)
    if not rated:
        return outcomes[-1]
    mid = rated[(len(rated) - 1) // 2]
    rss = [o.peak_rss_mb for o in outcomes if o.peak_rss_mb]
    rates = " / ".join(f"{o.rps:,.0f}" if o.rps else "—" for o in outcomes)
    return Outcome(
        mid.name,
        mid.landed,
        mid.seconds,
        mid.cpu_s,
        max(rss) if rss else None,
        f"median of {len(outcomes)}: {rates}/s; {mid.note}",
        mid.ok,
        others_cpu_s=mid.others_cpu_s,
        partial=mid.partial,
    )


def run_safely(name: str, fn: Callable[[], Outcome]) -> Outcome:
    """A contestant that cannot install or run yields an outcome with the reason instead of aborting the run."""
    console.rule(f"[bold]{name}")
    try:
        out = fn()
    except Exception as e:  # a peer failing must not hide the others' figures
        out = Outcome(name, note=f"not run: {e}")
    console.print(f"  → {out.landed:,} in {out.seconds:.1f} s {'' if out.ok else '(incomplete) '}{out.note}")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="30,000 readings, ceiling and kho only")
    ap.add_argument("--readings", "-n", type=int, default=None, help="readings to publish (default 200,000)")
    ap.add_argument("--devices", type=int, default=100, help="simulated native nodes (default 100)")
    ap.add_argument("--connections", type=int, default=1, help="publisher connections (default 1)")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per contestant before giving up")
    ap.add_argument("--only", default="", help="comma list of: ceiling,kho,kho-bare,mqtt2influxdb,node-red")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of every contestant; medians are reported")
    ap.add_argument("--broker-conf", default="", help="extra mosquitto.conf lines (\\n-separated), for experiments")
    ap.add_argument("--profile", action="store_true", help="run kho only, under py-spy, and print top entries")
    return ap.parse_args(argv)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: stop every server and child we started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    n = args.readings or (30_000 if args.quick else 200_000)
    which = {"ceiling", "kho"} if args.quick else {"ceiling", "kho", "kho-bare", "mqtt2influxdb", "node-red"}
    if args.only:
        which = {w.strip() for w in args.only.split(",") if w.strip()}
    if args.profile:
        which = {"kho"}
    # A directory per run: two people benchmarking at once must not delete each other's servers' data.
    work = WORK / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    work.mkdir(parents=True)
    prune_old_runs(keep=5)
    # Room for the whole burst in one slow consumer's queue: nothing may be dropped.
    mq = mosquitto_server(work, max_queued=max(1_000_000, 2 * n), extra_conf=args.broker_conf.replace("\\n", "\n"))
    influxd = influxd_server(work)
    runs: dict[str, list[Outcome]] = {}
    try:
        with console.status("starting Mosquitto and influxd …"):
            mq.start()
            influxd.start()
        bench = Bench(n, args.devices, args.connections, args.timeout, mq, influxd, work)
        console.print(
            f"broker 127.0.0.1:{mq.port}, influxd {influxd.url}; {n:,} readings from {args.devices} nodes, "
            f"QoS 1; work dir {work}"
        )
        plan: list[tuple[str, str, Callable[[], Outcome]]] = [
            ("ceiling", "mosquitto_sub (ceiling)", bench.ceiling),
            ("kho", "kho collector", lambda: bench.kho(profile=args.profile)),
            ("kho-bare", "kho collector, alert engine off", lambda: bench.kho(alerts=False)),
            ("mqtt2influxdb", "mqtt2influxdb 1.5.2", bench.mqtt2influxdb),
            ("node-red", "Node-RED", bench.node_red),
        ]
        for r in range(args.repeat):
            for key, title, fn in plan:
                if key in which:
                    runs.setdefault(key, []).append(
                        run_safely(title + (f" — round {r + 1}/{args.repeat}" if args.repeat > 1 else ""), fn)
                    )
    finally:
        stop_all_children()
        mq.stop()
        influxd.stop()
        # Keep the logs (and the profile) for a look afterwards; the servers' data is only bulk.
        for bulk in (work / "influxdb" / "data", work / "influxdb" / "wal", work / "mosquitto" / "data"):
            shutil.rmtree(bulk, ignore_errors=True)
    outcomes = {key: median_outcome(rs) for key, rs in runs.items()}
    ceiling = outcomes["ceiling"].rps if "ceiling" in outcomes else None
    out_console.print(results_table(list(outcomes.values()), ceiling))
    kho = outcomes.get("kho")
    ratios: list[float] = []
    if "kho" in runs and "ceiling" in runs:
        # Ratios within a round: both faced the same background load.
        ratios = [k.rps / c.rps for k, c in zip(runs["kho"], runs["ceiling"], strict=True) if k.rps and c.rps]
        if len(ratios) > 1:
            console.print(
                "kho / ceiling per round: "
                + " ".join(f"{x:.2f}" for x in ratios)
                + f" → median {statistics.median(ratios):.2f}"
            )
    peers = {k: (round(o.rps) if o.rps else None) for k, o in outcomes.items() if k in ("mqtt2influxdb", "node-red")}
    best_peer = max((v for v in peers.values() if v), default=None)
    if kho and kho.rps:
        if ceiling:
            console.print(f"kho / ceiling = {kho.rps / ceiling:.2f} (target ≥ 0.3, aim 0.5)")
        if best_peer:
            console.print(f"kho / best peer = {kho.rps / best_peer:.1f} (target ≥ 3)")
        if kho.bound_rps:
            console.print(
                f"the broker, influxd and the publisher alone used {kho.others_per_1k:.3f} CPU s per 1,000 "
                f"readings in kho's run: {CORES} cores carry at most {kho.bound_rps:,.0f} readings/s even "
                "with a consumer that costs nothing"
            )
    budget = None
    if kho and best_peer and kho.others_per_1k is not None:
        # CPU per reading the cores leave for a consumer at 3 × the best peer, given what the rest costs.
        budget = CORES * 1000 / (3 * best_peer) - kho.others_per_1k
        sub = outcomes.get("ceiling")
        console.print(
            f"at 3 × the best peer ({3 * best_peer:,}/s) a consumer may spend at most {budget:.3f} CPU s per "
            f"1,000 readings; kho spends {kho.cpu_per_1k:.3f}"
            + (
                f", mosquitto_sub (C, discarding every message) {sub.cpu_per_1k:.3f}"
                if sub and sub.cpu_per_1k is not None
                else ""
            )
        )
    summary: dict[str, Any] = {
        "readings": n,
        "ceiling_rps": round(ceiling) if ceiling else None,
        "kho_rps": round(kho.rps) if kho and kho.rps else None,
        "peers_rps": peers,
        "kho_cpu_s_per_1k": round(kho.cpu_per_1k, 4) if kho and kho.cpu_per_1k is not None else None,
        "kho_peak_rss_mb": round(kho.peak_rss_mb, 1) if kho and kho.peak_rss_mb else None,
        "bound_rps": round(kho.bound_rps) if kho and kho.bound_rps else None,
        "consumer_cpu_budget_at_3x_peer": round(budget, 4) if budget is not None else None,
    }
    if len(ratios) > 1:
        summary["rounds"] = args.repeat
        summary["kho_over_ceiling_median"] = round(statistics.median(ratios), 3)
    bare = outcomes.get("kho-bare")
    if bare is not None:  # the collector alone, without the alert engine it normally feeds
        summary["kho_no_alerts_rps"] = round(bare.rps) if bare.rps else None
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
