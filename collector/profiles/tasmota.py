"""Tasmota profile: ``tele/<topic>/SENSOR`` JSON with one object per attached sensor, ``tele/<topic>/LWT`` with
``Online``/``Offline``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from collector.decoders.common import DecodeError, number, parse_json, timestamp_ms
from collector.decoders.status import decode_status
from collector.decoders.types import BAD_TYPE, EMPTY, Outcome, Sample
from collector.dewpoint import dew_point_c
from collector.profiles.base import Decoder, Match, Message, Profile
from inventory.errors import RegistryError
from inventory.profiles import ProfileInfo

# Sensors that report humidity are preferred over temperature-only probes (DS18B20) on the same node.
_SENSOR_VALUES = {"Temperature": "temperature_c", "Humidity": "humidity_pct"}


def decode_tasmota(device_id: str, payload: bytes) -> list[Outcome]:
    """Decode ``{"Time": …, "SHT3X": {"Temperature": …, "Humidity": …}, "TempUnit": "C"}``."""
    try:
        doc = parse_json(payload)
        if not isinstance(doc, dict):
            raise DecodeError(BAD_TYPE, f"SENSOR payload must be a JSON object, got {type(doc).__name__}")
        return [_sample(device_id, doc)]
    except DecodeError as e:
        return [e.reject(device_id)]


def _sample(device_id: str, doc: dict[str, Any]) -> Sample:
    best: dict[str, float] = {}
    for name, sensor in doc.items():
        if not isinstance(sensor, dict):
            continue
        fields: dict[str, float] = {}
        for key, field in _SENSOR_VALUES.items():
            v = sensor.get(key)
            if v is not None:
                fields[field] = number(v, f"{name}.{key}")
        if len(fields) > len(best):
            best = fields
    if not best:
        raise DecodeError(EMPTY, "no Temperature/Humidity in any sensor object")
    if "temperature_c" in best and str(doc.get("TempUnit", "C")).upper() == "F":
        best["temperature_c"] = round((best["temperature_c"] - 32.0) * 5.0 / 9.0, 3)
    ts = doc.get("Time")
    ts_ms = timestamp_ms(ts) if ts is not None else None
    return Sample(device_id, best, ts_ms)


# Malformed SENSOR payloads a simulated node sends on demand.
BAD_SENSOR: tuple[bytes, ...] = (
    b'{"SHT3X": {"Temperature": 21',
    b'{"SHT3X": {"Temperature": NaN, "Humidity": 50}}',
    b'{"SHT3X": {"Temperature": 21.0, "Humidity": 150.0}}',
    b'{"SHT3X": {"Temperature": "hot", "Humidity": 50}}',
    b'{"Time": "yesterday", "SHT3X": {"Temperature": 21.0, "Humidity": 50}}',
)


class TasmotaInfo(ProfileInfo):
    """A Tasmota topic is one level; the node writes under ``tele/`` and ``stat/`` and listens on ``cmnd/``."""

    __slots__ = ()

    def namespaces(self, topic: str) -> list[tuple[str, str]]:
        # Tasmota also listens on its own command topic (console commands from the admin).
        return [("write", f"tele/{topic}"), ("write", f"stat/{topic}"), ("read", f"cmnd/{topic}")]

    def check_topic(self, topic: str) -> None:
        if "/" in topic:
            raise RegistryError(f"a Tasmota topic is one level (it goes into tele/<topic>/…), not {topic!r}")


INFO = TasmotaInfo("tasmota", "{id}", "Tasmota: JSON on tele/<topic>/SENSOR, last will on tele/<topic>/LWT")


class Tasmota(Profile):
    """Tasmota's telemetry with its default ``tele/%topic%/`` full topic."""

    info = INFO
    subscriptions = ("tele/+/SENSOR", "tele/+/LWT")

    def match(self, topic: str) -> Match | None:
        if not topic.startswith("tele/"):
            return None
        if topic.endswith("/SENSOR"):
            return Match(topic[len("tele/") : -len("/SENSOR")], "sensor")
        if topic.endswith("/LWT"):
            return Match(topic[len("tele/") : -len("/LWT")], "lwt")
        return None

    def decoder(self, match: Match) -> Decoder:
        return decode_tasmota if match.channel == "sensor" else decode_status

    def status_message(self, root: str, online: bool) -> Message:
        return f"tele/{root}/LWT", b"Online" if online else b"Offline"

    def reading_messages(self, root: str, values: dict[str, float], wall: float, seq: int) -> list[Message]:
        # Tasmota stamps its local time without an offset; the simulated node's clock runs on UTC.
        local = datetime.fromtimestamp(wall, UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        t, rh = values["temperature_c"], values["humidity_pct"]
        doc = {
            "Time": local,
            "SHT3X": {"Temperature": t, "Humidity": rh, "DewPoint": dew_point_c(t, rh)},
            "TempUnit": "C",
        }
        return [(f"tele/{root}/SENSOR", orjson.dumps(doc))]

    def bad_message(self, root: str, k: int, wall: float) -> Message:
        return f"tele/{root}/SENSOR", BAD_SENSOR[k % len(BAD_SENSOR)]


PROFILE = Tasmota()
