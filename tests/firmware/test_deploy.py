"""Production packaging: compose file against the Compose JSON schema, systemd units, the hardened broker config."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import paho.mqtt.client as paho
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from dashboards.provisioning import DEFAULT_DASHBOARDS_PATH
from kho.localservers import ManagedServer, free_port

from ..conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose_errors(doc: dict) -> list[str]:
    schema = json.loads((DEPLOY / "compose-spec.schema.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_compose_file_matches_the_compose_schema() -> None:
    doc = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert _compose_errors(doc) == []
    assert set(doc["services"]) == {"mosquitto", "influxdb", "postgres", "grafana", "migrate", "collector", "web"}
    broken = json.loads(json.dumps(doc))
    broken["services"]["web"]["restart_policy"] = "always"  # not a Compose key
    broken["services"]["grafana"]["ports"] = "3000:3000"  # must be a list
    assert len(_compose_errors(broken)) >= 2


def _target(volume: str) -> str:
    """The container path of a short-syntax volume (``src:dst[:ro]``; ``src`` may hold ``${VAR:-x}``)."""
    parts = volume.rsplit(":", 2)
    return parts[-2] if parts[-1] in ("ro", "rw") else parts[-1]


def test_compose_wiring_is_consistent() -> None:
    doc = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    text = (DEPLOY / "docker-compose.yml").read_text()
    svc = doc["services"]
    grafana_mounts = [_target(v) for v in svc["grafana"]["volumes"]]
    assert "/etc/grafana/provisioning" in grafana_mounts and DEFAULT_DASHBOARDS_PATH in grafana_mounts
    conf = (DEPLOY / "mosquitto.conf").read_text()
    mq_mounts = {_target(v) for v in svc["mosquitto"]["volumes"]}
    for path in re.findall(r"^(?:password_file|acl_file|cafile|certfile|keyfile) (\S+)", conf, re.M):
        assert any(path.startswith(m) for m in mq_mounts), f"{path} is not mounted into the mosquitto container"
    assert svc["collector"]["environment"]["KHO_MQTT__USERNAME"] == "kho-collector"
    env_example = (DEPLOY / "kho.env.example").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required and all(f"{var}=" in env_example for var in required)
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for pkg in ("kho", "inventory", "collector", "alerts", "dashboards", "firmware_configs"):
        assert f"COPY {pkg} ./{pkg}" in dockerfile


def _verify(units: list[Path]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze not found: install it with 'apt-get install systemd'")
    return subprocess.run([exe, "verify", *map(str, units)], capture_output=True, text=True, timeout=120)


def test_systemd_units_verify(tmp_path: Path) -> None:
    kho_bin = ROOT / ".venv" / "bin" / "kho"
    assert kho_bin.exists()
    units = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        # Point ExecStart at this machine's install so verify can check the binary exists.
        text = unit.read_text().replace("/opt/kho/.venv/bin/kho", str(kho_bin))
        (tmp_path / unit.name).write_text(text)
        units.append(tmp_path / unit.name)
    assert [u.name for u in units] == ["kho-collector.service", "kho-web.service"]
    res = _verify(units)
    assert res.returncode == 0 and res.stdout + res.stderr == "", res.stdout + res.stderr
    broken = tmp_path / "kho-broken.service"
    broken.write_text(units[0].read_text().replace("Restart=always", "Restart=alwayz\nFooBar=1"))
    res = _verify([broken])
    assert "alwayz" in res.stderr and "FooBar" in res.stderr


def _self_signed(d: Path) -> tuple[Path, Path]:
    crt, key = d / "server.crt", d / "server.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return crt, key


def _connect(port: int, user: str | None, password: str | None, ca: Path | None = None) -> object:
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"deploy-{user}-{port}")
    result: list[object] = []
    c.on_connect = lambda client, userdata, flags, rc, props=None: result.append(rc)
    if user:
        c.username_pw_set(user, password)
    if ca:
        c.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    c.connect("127.0.0.1", port, 30)
    c.loop_start()
    try:
        wait_for(lambda: result, 10, "no CONNACK")
    finally:
        c.disconnect()
        c.loop_stop()
    return result[0]


@dataclass
class DeployedBroker:
    """Mosquitto running ``deploy/mosquitto.conf`` with credentials from ``kho broker credentials``."""

    plain: int
    tls: int
    ca: Path
    broker_dir: Path
    fw_dir: Path


@contextmanager
def deployed_broker(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DeployedBroker]:
    """The hardened broker config as shipped, on free ports, with a self-signed certificate; stopped at the end."""
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    broker_dir, fw_dir = tmp_path / "broker", tmp_path / "fw"
    res = CliRunner().invoke(app, ["broker", "credentials", "--out", str(broker_dir), "--firmware-dir", str(fw_dir)])
    assert res.exit_code == 0, res.output
    crt, key = _self_signed(tmp_path)
    plain, tls = free_port(), free_port()
    (tmp_path / "data").mkdir()
    conf = (
        (DEPLOY / "mosquitto.conf")
        .read_text()
        .replace("/etc/mosquitto/kho/", f"{broker_dir}/")
        .replace("/etc/mosquitto/certs/ca.crt", str(crt))
        .replace("/etc/mosquitto/certs/server.crt", str(crt))
        .replace("/etc/mosquitto/certs/server.key", str(key))
        .replace("/var/lib/mosquitto/", f"{tmp_path / 'data'}/")
        .replace("listener 1883", f"listener {plain}")
        .replace("listener 8883", f"listener {tls}")
        .replace("log_dest syslog\n", "")
    )
    # pytest's temporary directories are private to root: keep the broker from dropping to `mosquitto`.
    (tmp_path / "mosquitto.conf").write_text("user root\n" + conf)
    srv = ManagedServer(
        "mosquitto",
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(tmp_path / "mosquitto.conf")],
        plain,
        tmp_path / "mosquitto.log",
    )
    srv.start()
    try:
        yield DeployedBroker(plain, tls, crt, broker_dir, fw_dir)
    finally:
        srv.stop()


def test_hardened_mosquitto_conf_runs(node_sessions, sqlite_url: str, tmp_path: Path, monkeypatch) -> None:
    from firmware_configs.esphome import read_secrets

    with deployed_broker(sqlite_url, tmp_path, monkeypatch) as b:
        plain, tls, crt = b.plain, b.tls, b.ca
        node_pw = read_secrets(b.fw_dir / "qt-sht" / "secrets.yaml")["mqtt_password"]
        assert _connect(plain, None, None).is_failure  # type: ignore[attr-defined]
        assert _connect(plain, "qt-sht", "wrong").is_failure  # type: ignore[attr-defined]
        assert _connect(plain, "qt-sht", node_pw) == 0
        assert _connect(tls, "qt-sht", node_pw, ca=crt) == 0  # TLS listener with the certificate
        assert _connect(tls, None, None, ca=crt).is_failure  # type: ignore[attr-defined]
