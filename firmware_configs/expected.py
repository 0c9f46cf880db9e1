"""What a rendered node config will publish, read back from the config itself (used to check the round trip).

Also handy for operators: ``kho firmware topics --device ID`` lists the topics a node is expected to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Publication:
    """One message kind a node sends: topic, an example payload in the node's format, retained or not."""

    topic: str
    example: str
    retain: bool = False
    kind: str = "sensor"


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps ``!secret name`` as the text ``!secret name``."""


def _secret(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return f"!secret {loader.construct_scalar(node)}"


_Loader.add_constructor("!secret", _secret)

# Plausible values per kho field name, formatted like ESPHome does (accuracy_decimals).
_EXAMPLE = {"temperature_c": 21.5, "humidity_pct": 51.0, "smoke_level": 0.045, "battery_v": 3.91}


def load_config(text: str) -> dict[str, Any]:
    """Parse an ESPHome YAML config (``!secret`` kept as a marker)."""
    data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError("not an ESPHome config")
    return data


def esphome_publications(text: str) -> list[Publication]:
    """Birth message, every sensor's and binary sensor's state topic, with example payloads."""
    cfg = load_config(text)
    mqtt = cfg["mqtt"]
    out = [
        Publication(
            mqtt["birth_message"]["topic"],
            mqtt["birth_message"]["payload"],
            bool(mqtt["birth_message"].get("retain")),
            "status",
        )
    ]

    def sensor(entry: dict[str, Any]) -> None:
        name = entry["name"]
        value = _EXAMPLE.get(name, 1.0)
        out.append(Publication(entry["state_topic"], f"{value:.{int(entry.get('accuracy_decimals', 2))}f}"))

    for s in cfg.get("sensor", []):
        subs = [s[k] for k in ("temperature", "humidity", "pressure") if isinstance(s.get(k), dict)]
        for entry in subs or [s]:
            sensor(entry)
    for b in cfg.get("binary_sensor", []):
        out.append(Publication(b["state_topic"], "ON", kind="binary_sensor"))
        out.append(Publication(b["state_topic"], "OFF", kind="binary_sensor"))
    return out


def tasmota_publications(commands: str) -> list[Publication]:
    """Telemetry and LWT topics implied by a Tasmota ``Backlog`` line (FullTopic ``%prefix%/%topic%/``)."""
    parts = dict(c.strip().split(" ", 1) for c in commands.strip().removeprefix("Backlog ").split(";"))
    full = parts["FullTopic"].replace("%topic%", parts["Topic"])
    tele = full.replace("%prefix%", "tele").rstrip("/")
    return [
        Publication(f"{tele}/LWT", "Online", True, "status"),
        Publication(
            f"{tele}/SENSOR",
            '{"Time":"2026-11-28T10:00:00","SHT3X":{"Temperature":21.5,"Humidity":51.0},"TempUnit":"C"}',
        ),
    ]
