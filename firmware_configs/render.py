"""Write each node's firmware files: ESPHome YAML + secrets.yaml, or Tasmota console commands.

``FIRMWARE`` names the profiles kho writes files for, each by its generator module's ``PROFILE``; a node of any
other profile gets its profile's ``setup_hint`` instead (``inventory.profiles``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from firmware_configs import esphome, tasmota
from firmware_configs.esphome import Node, read_secrets, render_esphome, write_secrets
from firmware_configs.settings import FirmwareSettings
from firmware_configs.tasmota import tasmota_commands
from inventory.profiles import get_profile

if TYPE_CHECKING:
    from firmware_configs.expected import Publication


@dataclass
class Rendered:
    """Files written for one node (``skipped`` explains a node that gets none)."""

    node: str
    files: list[Path] = field(default_factory=list)
    skipped: str = ""


@dataclass(frozen=True, slots=True)
class Firmware:
    """What kho writes for the nodes of one profile."""

    # Writes the node's files into its directory (which exists); returns them.
    write: Callable[[Node, Path, FirmwareSettings], list[Path]]
    # The file ``kho firmware expected`` reads the node's publications from, and how it reads them.
    config_file: Callable[[Node], str]
    publications: Callable[[str], list[Publication]]
    # The node's secrets.yaml carries the keys an ESPHome config references (Wi-Fi, OTA), not only the password.
    esphome_secrets: bool = False


def _write_esphome(node: Node, d: Path, settings: FirmwareSettings) -> list[Path]:
    path = d / f"{node.id}.yaml"
    path.write_text(render_esphome(node, settings), encoding="utf-8")
    secrets_path = d / "secrets.yaml"
    write_secrets(secrets_path, {})
    return [path, secrets_path]


def _write_tasmota(node: Node, d: Path, settings: FirmwareSettings) -> list[Path]:
    password = read_secrets(d / "secrets.yaml").get("mqtt_password")
    usable = password if password and password != "CHANGE-ME" else None
    path = d / "tasmota-commands.txt"
    path.touch(mode=0o600)
    os.chmod(path, 0o600)  # holds the MQTT password
    path.write_text(tasmota_commands(node, settings, usable) + "\n", encoding="utf-8")
    return [path]


def _esphome_publications(text: str) -> list[Publication]:
    from firmware_configs.expected import esphome_publications  # PyYAML, only when asked

    return esphome_publications(text)


def _tasmota_publications(text: str) -> list[Publication]:
    from firmware_configs.expected import tasmota_publications

    return tasmota_publications(text)


FIRMWARE: dict[str, Firmware] = {
    esphome.PROFILE: Firmware(_write_esphome, lambda n: f"{n.id}.yaml", _esphome_publications, esphome_secrets=True),
    tasmota.PROFILE: Firmware(_write_tasmota, lambda n: "tasmota-commands.txt", _tasmota_publications),
}


def firmware_of(profile: str) -> Firmware | None:
    """What kho writes for nodes of ``profile`` (None: nothing, see the profile's ``setup_hint``)."""
    return FIRMWARE.get(profile)


def render_node(node: Node, out: Path, settings: FirmwareSettings) -> Rendered:
    """Write ``out/<id>/`` for the node; an existing secrets.yaml keeps its values (only missing keys are added)."""
    result = Rendered(node.id)
    fw = firmware_of(node.profile)
    if fw is None:
        info = get_profile(node.profile)
        result.skipped = info.setup_hint if info is not None else f"unknown profile {node.profile}"
        return result
    d = out / node.id
    d.mkdir(parents=True, exist_ok=True)
    result.files += fw.write(node, d, settings)
    return result
