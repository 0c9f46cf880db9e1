"""ESPHome profile: one plain value per ``<prefix>/sensor/<name>/state`` or ``binary_sensor`` topic, and
``<prefix>/status`` with ``online``/``offline`` (ESPHome's birth message and last will)."""

from __future__ import annotations

import math

from collector.decoders.common import DecodeError
from collector.decoders.status import decode_status
from collector.decoders.types import BAD_TYPE, NOT_FINITE, Ignored, Outcome, Sample
from collector.profiles.base import Decoder, Match, Message, Profile, named
from inventory.profiles import ProfileInfo


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


# Malformed states a simulated node sends on demand: (sensor object id, payload).
BAD_STATES: tuple[tuple[str, bytes], ...] = (("temperature", b"nan"), ("humidity", b"abc"), ("humidity", b"150"))


class ESPHome(Profile):
    """ESPHome's MQTT component with its default topics."""

    info = ProfileInfo("esphome", "{id}", "ESPHome: one value per <prefix>/sensor/<name>/state")
    subscriptions = ("+/sensor/+/state", "+/binary_sensor/+/state", "+/status")
    reports_smoke = True

    def match(self, topic: str) -> Match | None:
        if topic.endswith("/state"):
            parts = topic.rsplit("/", 3)
            if len(parts) == 4 and parts[1] in ("sensor", "binary_sensor"):
                return Match(parts[0], parts[1], parts[2])
            return None
        if topic.endswith("/status"):
            return Match(topic[: -len("/status")], "status")
        return None

    def decoder(self, match: Match) -> Decoder:
        if match.channel == "status":
            return decode_status
        decode = decode_esphome_sensor if match.channel == "sensor" else decode_esphome_binary
        return named(decode, match.name)

    def smoke_hint(self, topic: str, payload: bytes) -> bool:
        return payload == b"ON" and "/binary_sensor/" in topic

    def reading_messages(self, root: str, values: dict[str, float], wall: float, seq: int) -> list[Message]:
        out = [
            (f"{root}/sensor/temperature/state", f"{values['temperature_c']:.2f}".encode()),
            (f"{root}/sensor/humidity/state", f"{values['humidity_pct']:.1f}".encode()),
        ]
        if "smoke" in values:
            out.append((f"{root}/binary_sensor/smoke/state", b"ON" if values["smoke"] else b"OFF"))
            out.append((f"{root}/sensor/smoke_level/state", f"{values['smoke_level']:.3f}".encode()))
        return out

    def bad_message(self, root: str, k: int, wall: float) -> Message:
        name, payload = BAD_STATES[k % len(BAD_STATES)]
        return f"{root}/sensor/{name}/state", payload


PROFILE = ESPHome()
