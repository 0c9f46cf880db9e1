"""ESPHome profile: one plain value per ``<prefix>/sensor/<name>/state`` or ``binary_sensor`` topic."""

from __future__ import annotations

import math

from collector.decoders.common import DecodeError
from collector.decoders.types import BAD_TYPE, NOT_FINITE, Ignored, Outcome, Sample


def sensor_field(name: str) -> str | None:
    """Map an ESPHome sensor object id to a kho field (None: not stored, e.g. wifi_signal)."""
    n = name.lower()
    if "dew" in n:  # kho derives dew point itself
        return None
    if "temp" in n or "nhiet" in n:
        return "temperature_c"
    if "humid" in n or n in ("rh", "do_am", "doam"):
        return "humidity_pct"
    if "smoke" in n or "gas" in n or "mq" in n or "khoi" in n:
        return "smoke_level"
    if "batt" in n or n == "pin":
        return "battery_v"
    return None


def binary_field(name: str) -> str | None:
    """Map an ESPHome binary sensor object id to a kho field."""
    n = name.lower()
    if "smoke" in n or "fire" in n or "khoi" in n or "chay" in n:
        return "smoke"
    return None


def decode_esphome_sensor(device_id: str, name: str, payload: bytes) -> list[Outcome]:
    """``<prefix>/sensor/<name>/state`` → a one-field sample."""
    field = sensor_field(name)
    if field is None:
        return [Ignored(device_id, f"sensor {name}")]
    text = payload.decode("utf-8", "replace").strip()
    try:
        value = float(text)
    except ValueError:
        return [DecodeError(BAD_TYPE, f"sensor {name}: {text[:40]!r} is not a number").reject(device_id)]
    if not math.isfinite(value):
        return [DecodeError(NOT_FINITE, f"sensor {name} reported {text[:10]}").reject(device_id)]
    return [Sample(device_id, {field: value})]


def decode_esphome_binary(device_id: str, name: str, payload: bytes) -> list[Outcome]:
    """``<prefix>/binary_sensor/<name>/state`` with ``ON``/``OFF``."""
    field = binary_field(name)
    if field is None:
        return [Ignored(device_id, f"binary_sensor {name}")]
    text = payload.strip().upper()
    if text not in (b"ON", b"OFF"):
        return [DecodeError(BAD_TYPE, f"binary_sensor {name}: expected ON or OFF").reject(device_id)]
    return [Sample(device_id, {field: 1.0 if text == b"ON" else 0.0})]
