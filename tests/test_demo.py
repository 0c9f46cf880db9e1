"""`kho demo` end to end: real Mosquitto, influxd, SQLite registry, collector, web app and simulator.

Runs the command twice on one temporary state directory: the first run seeds the demo site and shows data
from all three payload profiles landing in InfluxDB; SIGINT stops every child process; the second run reuses
the saved ports, the site and the data.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from kho.localservers import free_port, port_open
from tests.conftest import wait_for

KHO = str(Path(sys.executable).parent / "kho")
PROFILE_OF = {
    "qt-p1-a": "native",
    "qt-p2-a": "native",
    "qt-p1-esp": "esphome",
    "qt-p2-esp": "esphome",
    "qt-p1-tas": "tasmota",
    "qt-p2-tas": "tasmota",
}


def _env(state_dir: Path, web_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({"KHO_STATE_DIR": str(state_dir), "KHO_WEB__PORT": str(web_port), "COLUMNS": "120"})
    return env


def _wait_for(what: str, check: Callable[[], Any], timeout_s: float, proc: subprocess.Popen[bytes], log: Path) -> Any:
    """``wait_for`` on ``check`` (its HTTP and file errors count as not yet), failing at once if the demo exits."""

    def step() -> Any:
        if proc.poll() is not None:
            raise AssertionError(
                f"kho demo exited with {proc.returncode} while waiting for {what}:\n"
                f"{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            return check()
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            return None

    return wait_for(
        step, timeout_s, lambda: f"timed out waiting for {what}:\n{log.read_text(errors='replace')[-3000:]}", 0.3
    )


def _counts_by_device(influx_port: int) -> dict[str, int]:
    r = httpx.get(
        f"http://127.0.0.1:{influx_port}/query",
        timeout=5,
        params={"db": "kho", "q": "SELECT count(temperature_c) FROM climate GROUP BY device"},
    )
    r.raise_for_status()
    series = r.json()["results"][0].get("series", [])
    return {s["tags"]["device"]: int(s["values"][0][1]) for s in series}


def _run_demo(state_dir: Path, web_port: int, log: Path, check_lock: bool = False) -> tuple[dict[str, Any], str]:
    """Start the demo, check web, health and all three profiles in InfluxDB, SIGINT it, check children gone."""
    proc = subprocess.Popen(
        [KHO, "demo", "--duration", "120", "--no-browser", "--rate", "2"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=_env(state_dir, web_port),
    )
    try:
        ports_file = state_dir / "demo-ports.json"
        health = _wait_for(
            "/healthz",
            lambda: (
                httpx.get(f"http://127.0.0.1:{web_port}/healthz", timeout=2).json() if ports_file.exists() else None
            ),
            60,
            proc,
            log,
        )
        ports = json.loads(ports_file.read_text())
        assert ports["web"] == web_port
        health = _wait_for(
            "a healthy collector",
            lambda: (
                (h := httpx.get(f"http://127.0.0.1:{web_port}/healthz", timeout=2).json())["healthy"]
                and h["broker_connected"]
                and h
            ),
            30,
            proc,
            log,
        )
        assert health["influx_reachable"] is True
        assert httpx.get(f"http://127.0.0.1:{web_port}/api/docs", timeout=5).status_code == 200
        home = httpx.get(f"http://127.0.0.1:{web_port}/", timeout=10, follow_redirects=True)
        assert home.status_code == 200 and "<html" in home.text.lower(), home.text[:300]

        def all_profiles() -> dict[str, int] | None:
            counts = _counts_by_device(ports["influx"])
            return (
                counts
                if {PROFILE_OF[d] for d in counts if d in PROFILE_OF} == {"native", "esphome", "tasmota"}
                else None
            )

        counts = _wait_for("readings of all three profiles in InfluxDB", all_profiles, 30, proc, log)
        if check_lock:
            twin = subprocess.run(
                [KHO, "demo", "--duration", "1", "--no-browser"],
                capture_output=True,
                text=True,
                env=_env(state_dir, web_port),
                timeout=60,
            )
            assert twin.returncode == 1 and "another `kho demo` is running" in twin.stderr, twin.stderr
            assert "Traceback" not in twin.stderr
        children = psutil.Process(proc.pid).children(recursive=True)
        names = {c.name() for c in children}
        assert {"mosquitto", "influxd"} <= names, names
    except BaseException:
        proc.kill()
        proc.wait(10)
        raise
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 0, log.read_text(errors="replace")[-3000:]
    for child in children:
        alive = child.is_running() and child.status() != psutil.STATUS_ZOMBIE
        assert not alive, f"{child.name()} (pid {child.pid}) still runs after kho demo stopped"
    for name in ("mqtt", "influx", "web"):
        assert not port_open(ports[name]), f"port of {name} still open"
    return {"ports": ports, "counts": counts}, log.read_text(errors="replace")


def test_demo_runs_stops_cleanly_and_reuses_state(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    web_port = free_port()

    first, out1 = _run_demo(state_dir, web_port, tmp_path / "demo1.log", check_lock=True)
    assert "created demo site QT" in out1
    assert "new state" in out1
    assert "Traceback" not in out1

    second, out2 = _run_demo(state_dir, web_port, tmp_path / "demo2.log")
    assert "reusing state" in out2
    assert "created demo site" not in out2, "the demo site must be seeded only once"
    assert second["ports"] == first["ports"], "saved ports must be reused"
    # InfluxDB kept the first run's points: every device has at least as many as before.
    for dev, n in first["counts"].items():
        assert second["counts"].get(dev, 0) >= n
    assert "Traceback" not in out2


def test_demo_ports_are_saved_and_a_taken_port_is_replaced(tmp_path: Path) -> None:
    import socket

    from kho.cli.demo_cmd import choose_ports

    ports, notes = choose_ports(tmp_path, free_port())
    assert notes == []
    again, notes = choose_ports(tmp_path, 1)
    assert again == ports, "a second run reuses the saved ports"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", ports["influx"]))
        busy.listen()
        moved, notes = choose_ports(tmp_path, 1)
    assert moved["influx"] != ports["influx"] and moved["mqtt"] == ports["mqtt"]
    assert len(notes) == 1 and str(ports["influx"]) in notes[0] and str(moved["influx"]) in notes[0]
    assert json.loads((tmp_path / "demo-ports.json").read_text()) == moved
    wanted = free_port()
    explicit, _ = choose_ports(tmp_path, wanted, web_explicit=True)
    assert explicit["web"] == wanted, "KHO_WEB__PORT set explicitly wins over the saved web port"


def test_serve_runs_the_web_app_alone(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = _env(tmp_path / "state", port)
    subprocess.run([KHO, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=60)
    proc = subprocess.Popen([KHO, "serve"], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    try:
        _wait_for(
            "the web app",
            lambda: httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=2).status_code == 200,
            30,
            proc,
            log,
        )
        # No collector runs in `kho serve`: /healthz says so instead of pretending.
        r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert r.status_code == 503 and r.json()["healthy"] is False
        busy = subprocess.run([KHO, "serve"], env=env, capture_output=True, text=True, timeout=30)
        assert busy.returncode == 1 and "already in use" in busy.stderr and "Traceback" not in busy.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert not port_open(port)
