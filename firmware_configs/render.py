"""Write each node's firmware files: ESPHome YAML + secrets.yaml, or Tasmota console commands."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from firmware_configs.esphome import Node, read_secrets, render_esphome, write_secrets
from firmware_configs.settings import FirmwareSettings
from firmware_configs.tasmota import tasmota_commands
from inventory.profiles import get_profile


@dataclass
class Rendered:
    """Files written for one node (``skipped`` explains a node that gets none)."""

    node: str
    files: list[Path] = field(default_factory=list)
    skipped: str = ""


def render_node(node: Node, out: Path, settings: FirmwareSettings) -> Rendered:
    """Write ``out/<id>/`` for the node; an existing secrets.yaml keeps its values (only missing keys are added)."""
    d = out / node.id
    result = Rendered(node.id)
    if node.profile not in ("esphome", "tasmota"):  # the profiles kho writes firmware files for
        info = get_profile(node.profile)
        result.skipped = info.setup_hint if info is not None else f"unknown profile {node.profile}"
        return result
    d.mkdir(parents=True, exist_ok=True)
    secrets_path = d / "secrets.yaml"
    if node.profile == "esphome":
        config = render_esphome(node, settings)
        path = d / f"{node.id}.yaml"
        path.write_text(config, encoding="utf-8")
        write_secrets(secrets_path, {})
        result.files += [path, secrets_path]
    elif node.profile == "tasmota":
        password = read_secrets(secrets_path).get("mqtt_password")
        usable = password if password and password != "CHANGE-ME" else None
        path = d / "tasmota-commands.txt"
        path.touch(mode=0o600)
        os.chmod(path, 0o600)  # holds the MQTT password
        path.write_text(tasmota_commands(node, settings, usable) + "\n", encoding="utf-8")
        result.files.append(path)
    return result
