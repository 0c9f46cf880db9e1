"""ESPHome node configs rendered from the registry (Jinja2), with the secrets in a separate file."""

from __future__ import annotations

import json
import re
import secrets as pysecrets
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from firmware_configs.hardware import Hardware, parse_hardware
from firmware_configs.settings import FirmwareSettings

# The payload profile whose nodes run the configs of this module (a name of ``inventory.profiles``).
PROFILE = "esphome"
TEMPLATES = Path(__file__).parent / "templates"
PLACEHOLDER = "CHANGE-ME"


@dataclass(frozen=True, slots=True)
class Node:
    """A registered node as the firmware generator needs it."""

    id: str
    profile: str
    topic: str
    hardware: str
    has_smoke: bool
    interval_s: int
    site: str
    room: str
    meta: dict[str, object]


def _env(templates: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    # JSON strings are valid YAML scalars: any topic or name is quoted safely.
    env.filters["q"] = lambda v: json.dumps(str(v), ensure_ascii=False)
    return env


def esphome_name(device_id: str) -> str:
    """ESPHome's node name rules: lowercase letters, digits and '-', at most 31 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", device_id.lower()).strip("-")
    return name[:31].rstrip("-") or "kho-node"


def render_esphome(
    node: Node, settings: FirmwareSettings, templates: Path = TEMPLATES, template: str = "esphome_node.yaml.j2"
) -> str:
    """The node's ESPHome YAML (no secret in it: ``!secret`` references only)."""
    hw: Hardware = parse_hardware(node.hardware, node.has_smoke, node.meta)
    return (
        _env(templates)
        .get_template(template)
        .render(
            node=node,
            hw=hw,
            topic=node.topic,
            node_name=esphome_name(node.id),
            friendly_name=f"{node.id} ({node.site} {node.room})",
            comment=f"kho node {node.id} in {node.site}/{node.room}",
            broker_host=settings.broker_host,
            broker_port=settings.broker_port,
            interval=max(node.interval_s, 5),
            smoke_interval=min(max(node.interval_s, 5), 10),
        )
    )


def secrets_yaml(values: dict[str, str]) -> str:
    """``secrets.yaml`` text; keys in a fixed order."""
    lines = ["# Secrets of this node: keep out of version control. `kho broker` updates mqtt_password."]
    for key in sorted(values):
        lines.append(f"{key}: {json.dumps(values[key], ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def read_secrets(path: Path) -> dict[str, str]:
    """The flat ``key: value`` pairs of a secrets.yaml (empty when it does not exist)."""
    import yaml

    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    return {str(k): str(v) for k, v in data.items()}


def write_secrets(path: Path, updates: dict[str, str], esphome: bool = True) -> dict[str, str]:
    """Merge ``updates`` into the node's secrets.yaml (mode 0600), keeping every other key; returns all keys.

    ESPHome nodes also get the keys their config references (Wi-Fi placeholders, a random OTA password).
    """
    values: dict[str, str] = {}
    if esphome:
        values = {
            "wifi_ssid": PLACEHOLDER,
            "wifi_password": PLACEHOLDER,
            "ota_password": pysecrets.token_urlsafe(16),
            "mqtt_password": PLACEHOLDER,
        }
    values.update(read_secrets(path))
    values.update(updates)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(secrets_yaml(values), encoding="utf-8")
    tmp.replace(path)
    return values
