"""Smoke alert latency: MQTT publish → webhook received, idle and under a background load.

Runs a private Mosquitto and influxd, the real collector with the alert engine (as ``kho collect``
wires it), a webhook receiver, and the collector's simulator for background readings. Smoke events are
published at random moments on distinct smoke detectors; each must produce exactly one "fire"
notification. The last output line is one JSON object:
``{"events", "background_rps", "p50_ms", "p99_ms", "idle_p50_ms", "idle_p99_ms", "lost", "duplicated"}``.

    .venv/bin/python benchmarks/alert_latency.py            # 200 events over 10,000 readings/s
    .venv/bin/python benchmarks/alert_latency.py --quick    # 20 events over 2,000 readings/s
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# benchmarks/inventory.py would shadow the inventory package when this runs as a script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from alerts import store  # noqa: E402
from collector.simulator import Simulator  # noqa: E402
from inventory import registry  # noqa: E402
from inventory.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from inventory.directory import load_directory  # noqa: E402
from kho import db as kho_db  # noqa: E402
from kho.localservers import free_port, influxd_server, mosquitto_server  # noqa: E402
from kho.settings import load_settings  # noqa: E402
from kho.wiring import build_collector  # noqa: E402


def _serve_webhook(port: int, out: Any) -> None:
    """Child process: the webhook endpoint (apart from the collector, like a real receiver).

    Puts ``(device_id, received_at)`` for every smoke "fire" notification on ``out``.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            t = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            try:
                doc = json.loads(body)
            except ValueError:
                return
            if doc.get("kind") != "fire":
                return
            for a in doc.get("alerts", []):
                if a.get("rule") == "smoke":
                    out.put((a["device_id"], t))

        def log_message(self, *a: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


class Receiver:
    """Collects, per device, when each smoke "fire" notification arrived at the webhook process."""

    def __init__(self) -> None:
        self.fires: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()
        ctx = mp.get_context("spawn")
        self._q = ctx.Queue()
        port = free_port()
        self.proc = ctx.Process(target=_serve_webhook, args=(port, self._q), daemon=True)
        self.proc.start()
        self.url = f"http://127.0.0.1:{port}/hook"
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)

    def _drain(self) -> None:
        while True:
            dev, t = self._q.get()
            with self.lock:
                self.fires[dev].append(t)

    def count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.fires.values())

    def close(self) -> None:
        self.proc.kill()
        self.proc.join(5)


class SmokePublisher:
    """One QoS 1 client that plays every smoke detector."""

    def __init__(self, port: int) -> None:
        self.c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-smoke-{uuid.uuid4().hex[:6]}")
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        self.seq = 0

    def send(self, device: str, smoke: bool) -> float:
        self.seq += 1
        payload = json.dumps({"seq": self.seq, "smoke": smoke, "smoke_level": 0.7 if smoke else 0.01})
        t = time.time()
        self.c.publish(f"kho/{device}/telemetry", payload, qos=1)
        return t

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def run_events(
    pub: SmokePublisher,
    rec: Receiver,
    devices: list[str],
    spread_s: float,
    rng: random.Random,
    label: str,
    stages: dict[str, list[tuple[int, float]]] | None = None,
) -> tuple[list[float], int, int]:
    """One smoke event per detector in ``devices`` at random moments within ``spread_s``.

    Each event opens a new alert, so it must produce exactly one "fire" notification: none is lost,
    more is duplicated. Returns latencies (ms), lost, duplicated.
    """
    n = len(devices)
    moments = sorted(rng.uniform(0, spread_s) for _ in range(n))
    events: list[tuple[str, float]] = []
    t0 = time.monotonic()
    for i, (m, dev) in enumerate(zip(moments, devices, strict=True)):
        wait = m - (time.monotonic() - t0)
        if wait > 0:
            time.sleep(wait)
        events.append((dev, pub.send(dev, True)))
        if (i + 1) % max(1, n // 10) == 0:
            print(f"  {label}: {i + 1}/{n} events published, {rec.count()} notifications so far", flush=True)
    deadline = time.monotonic() + 60
    while rec.count() < n and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # let late duplicates show up
    with rec.lock:
        fires = {k: sorted(v) for k, v in rec.fires.items()}
        rec.fires.clear()
    if stages is not None:
        print(f"  {label}: {breakdown(stages, events, fires)}", flush=True)
        stages.clear()
    latencies: list[float] = []
    lost = dup = 0
    for dev, tp in events:
        got = fires.get(dev, [])
        if not got:
            lost += 1
            continue
        latencies.append((got[0] - tp) * 1000)
        dup += len(got) - 1
    return latencies, lost, dup


def instrument(consumers: list[Any]) -> dict[str, list[tuple[int, float]]]:
    """Record, per smoke-ON reading, the collector's receive time and when the engine was handed it."""
    stages: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for c in consumers:
        inner = c.on_readings

        def on_readings(readings: Any, inner: Any = inner) -> None:
            t = time.time()
            for r in readings:
                if r.fields.get("smoke", 0) >= 1:
                    stages[r.device_id].append((r.received_ms, t))
            inner(readings)

        c.on_readings = on_readings
    return stages


def breakdown(
    stages: dict[str, list[tuple[int, float]]], pubs: list[tuple[str, float]], fires: dict[str, list[float]]
) -> str:
    """Median ms of publish → collector received → engine handed → webhook received."""
    a, b, c = [], [], []
    for dev, tp in pubs:
        st = [x for x in stages.get(dev, []) if x[0] / 1000 >= tp - 0.001]
        fr = [t for t in fires.get(dev, []) if t >= tp]
        if not st or not fr:
            continue
        rec_ms, handed = min(st)
        a.append(rec_ms - tp * 1000)
        b.append((handed - rec_ms / 1000) * 1000)
        c.append((min(fr) - handed) * 1000)
    if not a:
        return "no breakdown"
    return (
        f"median publish→collector {statistics.median(a):.1f} ms, collector→engine {statistics.median(b):.1f} ms, "
        f"engine→webhook {statistics.median(c):.1f} ms"
    )


def _simulate(mqtt: Any, devices: list[Any], rate_hz: float, stop: Any, published: Any) -> None:
    """Child process: the collector's simulator, so its MQTT clients do not share the collector's GIL
    (real sensor nodes are separate machines)."""
    logging.basicConfig(level=logging.WARNING)
    sim = Simulator(mqtt, devices, rate_hz=rate_hz, client_prefix=f"kho-bench-sim-{uuid.uuid4().hex[:4]}")
    sim.start()
    try:
        while not stop.wait(0.5):
            published.value = sim.published_total
    finally:
        sim.stop()
        published.value = sim.published_total


class Background:
    """``procs`` simulator processes sharing the background devices and the requested rate."""

    def __init__(self, mqtt: Any, devices: list[Any], rps: int, procs: int) -> None:
        ctx = mp.get_context("spawn")
        self.stop_ev = ctx.Event()
        self.counters = [ctx.Value("q", 0) for _ in range(procs)]
        per_dev = rps / len(devices)
        self.procs = [
            ctx.Process(
                target=_simulate, args=(mqtt, devices[i::procs], per_dev, self.stop_ev, self.counters[i]), daemon=True
            )
            for i in range(procs)
        ]
        for p in self.procs:
            p.start()

    @property
    def published(self) -> int:
        return sum(int(c.value) for c in self.counters)

    def stop(self) -> None:
        self.stop_ev.set()
        for p in self.procs:
            p.join(15)
            if p.is_alive():
                p.kill()


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 events over 2,000 readings/s")
    ap.add_argument("--events", type=int, default=None)
    ap.add_argument("--rps", type=int, default=None, help="background readings per second")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sim-procs", type=int, default=2, help="simulator processes for the background load")
    args = ap.parse_args()
    events = args.events or (20 if args.quick else 200)
    rps = args.rps or (2000 if args.quick else 10_000)
    idle_events = min(events, 20 if args.quick else 50)
    rng = random.Random(args.seed)
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="kho-alert-bench-") as tmp:
        d = Path(tmp)
        mq = mosquitto_server(d / "mq")
        ix = influxd_server(d / "influx")
        mq.start()
        ix.start()
        url = f"sqlite:///{d / 'kho.db'}"
        kho_db.upgrade(url)
        sql = make_engine(url)
        sessions = make_sessionmaker(sql)
        n_bg = 100
        since = datetime.now(UTC) - timedelta(days=1)
        with session_scope(sessions) as s:
            registry.create_site(s, "BENCH", "Kho thử tải")
            for r in range(10):
                registry.create_room(s, "BENCH", f"R{r}", f"Phòng {r}")
            for i in range(n_bg):
                registry.add_device(s, f"b{i:03d}", "native", "BENCH", f"R{i % 10}", interval_s=60, since=since)
            for i in range(events + idle_events):  # one detector per event: each event is a new alert
                registry.add_device(
                    s, f"s{i:03d}", "native", "BENCH", f"R{i % 10}", has_smoke=True, interval_s=86400, since=since
                )
        smoke_ids = [f"s{i:03d}" for i in range(events + idle_events)]
        rec = Receiver()
        settings = load_settings(
            None,
            state_dir=d / "state",
            database={"url": url},
            mqtt={"port": mq.port, "client_id": "kho-bench-collector"},
            influx={"url": ix.url, "database": "bench"},
            # the webhook receiver listens on 127.0.0.1
            alerts={"repeat_critical_s": 3600, "escalation_s": 3600, "webhook": {"allow_private": True}},
        )
        with session_scope(sessions) as s:
            store.add_contact(s, "bench", "BENCH", "webhook", rec.url, tier=1, settings=settings.alerts)
        run = build_collector(settings, sessions, settings.state_dir)
        col = run.collector
        stages = instrument(run.consumers)
        run.start()
        deadline = time.monotonic() + 20
        while not col.health()["broker_connected"] and time.monotonic() < deadline:
            time.sleep(0.1)
        pub = SmokePublisher(mq.port)
        time.sleep(1.0)
        sim: Background | None = None
        try:
            print(f"idle: {idle_events} smoke events, no background load", flush=True)
            idle_lat, idle_lost, idle_dup = run_events(
                pub, rec, smoke_ids[:idle_events], idle_events * 0.25, rng, "idle", stages
            )
            print(
                f"  idle p50 {pct(idle_lat, 50):.1f} ms, p99 {pct(idle_lat, 99):.1f} ms, "
                f"lost {idle_lost}, duplicated {idle_dup}",
                flush=True,
            )

            with sessions() as s:
                bg = [dev for dev in load_directory(s).devices.values() if dev.id.startswith("b")]
            sim = Background(settings.mqtt, bg, rps, args.sim_procs)
            time.sleep(5.0)  # warm up: processes started, every node connected and publishing
            base_pub, base_rd, t_start = sim.published, col.health()["readings_total"], time.monotonic()
            spread = max(10.0, events / 4)
            print(f"load: {events} smoke events over {spread:.0f} s with {rps} readings/s requested", flush=True)
            lat, lost, dup = run_events(pub, rec, smoke_ids[idle_events:], spread, rng, "load", stages)
            elapsed = time.monotonic() - t_start
            published_rps = (sim.published - base_pub) / elapsed
            ingested_rps = (col.health()["readings_total"] - base_rd) / elapsed
            print(f"  background: published {published_rps:.0f}/s, collector ingested {ingested_rps:.0f}/s", flush=True)
            h = col.health()
            print(
                f"  collector: reader paused {h['read_pauses_total']} times (inbox full), waited for the alert "
                f"engine {h['consumer_waits_total']} times ({h['consumer_wait_s']:.1f} s)",
                flush=True,
            )
            print(
                f"  load p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, max {max(lat, default=0):.1f} ms, "
                f"lost {lost}, duplicated {dup}",
                flush=True,
            )
            if lat:
                print(f"  mean {statistics.mean(lat):.1f} ms over {len(lat)} events", flush=True)
        finally:
            if sim is not None:
                sim.stop()
            pub.close()
            run.stop()
            rec.close()
            sql.dispose()
            mq.stop()
            ix.stop()
    print(
        json.dumps(
            {
                "events": events,
                "background_rps": round(ingested_rps),
                "p50_ms": round(pct(lat, 50), 1),
                "p99_ms": round(pct(lat, 99), 1),
                "idle_p50_ms": round(pct(idle_lat, 50), 1),
                "idle_p99_ms": round(pct(idle_lat, 99), 1),
                "lost": lost + idle_lost,
                "duplicated": dup + idle_dup,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
