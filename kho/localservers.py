"""Start private Mosquitto and influxd servers under a state directory, on free or given ports.

Used by ``kho demo`` and by the tests; each server is a child process that can be stopped and
restarted on the same port with the same data (fault tests restart them mid-stream).
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class ServerError(RuntimeError):
    """A server could not be started; the message says how to install or fix it."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _require(binary: str, package: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if path is None:
        raise ServerError(f"{binary} not found: install it with 'apt-get install {package}' (or run 'make deps')")
    return path


@dataclass
class ManagedServer:
    """A server child process with its command line, port and log file."""

    name: str
    argv: list[str]
    port: int
    log_path: Path
    ready_timeout_s: float = 30.0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start the process and wait until its port accepts connections."""
        if self.running:
            return
        if port_open(self.port):
            raise ServerError(f"{self.name}: port {self.port} is already in use")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise ServerError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            if self._ready():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.name} did not come up on port {self.port} in {self.ready_timeout_s:.0f} s")

    def _ready(self) -> bool:
        return port_open(self.port)

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; waits until the port is free."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        """Stop and start again on the same port with the same data."""
        self.stop()
        self.start()


class InfluxServer(ManagedServer):
    """influxd 1.x; ready when ``/ping`` answers 204."""

    # The RPC bind-address port (127.0.0.1) that `influxd backup/restore -portable` talk to.
    rpc_port: int = 0

    @property
    def rpc_address(self) -> str:
        return f"127.0.0.1:{self.rpc_port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ping", timeout=0.5).status_code == 204
        except httpx.HTTPError:
            return False


MOSQUITTO_CONF = """\
# Written by kho; private broker for the demo and the tests.
listener {port} 127.0.0.1
# Started as root, Mosquitto would switch to user "mosquitto", which cannot write the persistence file
# in a private state dir: sessions and queued QoS 1 messages would then be lost at every restart.
user {user}
allow_anonymous {anonymous}
persistence true
persistence_location {data_dir}/
autosave_interval 1
# Room for a large fleet and for benchmark bursts; QoS 1 messages to a slow collector wait here.
max_queued_messages {max_queued}
max_inflight_messages 1000
max_packet_size 1048576
log_dest stdout
log_type error
log_type warning
log_type notice
{extra}
"""


def mosquitto_server(
    state_dir: Path,
    port: int | None = None,
    *,
    extra_conf: str = "",
    anonymous: bool = True,
    max_queued: int = 1_000_000,
) -> ManagedServer:
    """A Mosquitto configured under ``state_dir/mosquitto`` (persistence on, so restarts keep sessions)."""
    binary = _require("mosquitto", "mosquitto")
    d = (state_dir / "mosquitto").resolve()
    (d / "data").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = d / "mosquitto.conf"
    conf.write_text(
        MOSQUITTO_CONF.format(
            port=port,
            user=getpass.getuser(),
            anonymous="true" if anonymous else "false",
            data_dir=d / "data",
            max_queued=max_queued,
            extra=extra_conf,
        )
    )
    return ManagedServer("mosquitto", [binary, "-c", str(conf)], port, d / "mosquitto.log")


INFLUXD_CONF = """\
# Written by kho; private influxd for the demo and the tests.
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{d}/meta"

[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
  index-version = "inmem"

[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
  max-body-size = 0

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = true
  run-interval = "1s"
"""


def influxd_server(state_dir: Path, port: int | None = None, *, rpc_port: int | None = None) -> InfluxServer:
    """An influxd 1.x with data under ``state_dir/influxdb``; its RPC address (backups) on ``rpc_port``."""
    binary = _require("influxd", "influxdb")
    d = (state_dir / "influxdb").resolve()
    d.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = d / "influxdb.conf"
    rpc_port = rpc_port or free_port()
    conf.write_text(INFLUXD_CONF.format(d=d, port=port, rpc_port=rpc_port))
    srv = InfluxServer("influxd", [binary, "-config", str(conf)], port, d / "influxd.log")
    srv.rpc_port = rpc_port
    return srv


def ensure_postgres(port: int = 5432) -> None:
    """Make sure the machine's PostgreSQL answers on 127.0.0.1:``port``, starting the cluster if needed."""
    if port_open(port):
        return
    clusters = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if not clusters:
        raise ServerError("PostgreSQL is not installed: 'apt-get install postgresql' (or run 'make deps')")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1].name, "main", "start"], check=False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.2)
    raise ServerError(f"PostgreSQL did not start on 127.0.0.1:{port}")
