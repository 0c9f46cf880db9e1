"""Native profile (kho's own firmware): ``<root>/telemetry`` carries one JSON object or an array of them (a
buffered batch); ``<root>/status`` is ``online``/``offline`` (retained, and the last will)."""

from __future__ import annotations

import re
from typing import Any

import orjson

from collector.decoders.common import DecodeError, number, parse_json, timestamp_ms
from collector.decoders.status import decode_status
from collector.decoders.types import BAD_TYPE, EMPTY, Outcome, Sample
from collector.profiles.base import Decoder, Match, Message, Profile
from inventory.errors import RegistryError
from inventory.profiles import ProfileInfo

# Payload keys kho stores; others (rssi, uptime, …) are ignored so firmware can add fields freely.
NUMERIC_KEYS = ("temperature_c", "humidity_pct", "smoke_level", "battery_v")


def decode_native(device_id: str, payload: bytes) -> list[Outcome]:
    """Decode a native telemetry payload; a bad element of a batch rejects only that element."""
    try:
        doc = parse_json(payload)
    except DecodeError as e:
        return [e.reject(device_id)]
    if isinstance(doc, dict):
        return [_one(device_id, doc, 0, False)]
    if isinstance(doc, list):
        if not doc:
            return [DecodeError(EMPTY, "empty batch array").reject(device_id)]
        batched = len(doc) > 1
        return [_one(device_id, item, i, batched) for i, item in enumerate(doc)]
    return [
        DecodeError(BAD_TYPE, f"payload must be a JSON object or array, got {type(doc).__name__}").reject(device_id)
    ]


def _one(device_id: str, obj: Any, index: int, batched: bool) -> Outcome:
    try:
        return sample_from_object(device_id, obj, index, batched)
    except DecodeError as e:
        if batched:
            e.detail = f"batch element {index}: {e.detail}"
        return e.reject(device_id)


def sample_from_object(device_id: str, obj: Any, index: int = 0, batched: bool = False) -> Sample:
    """One reading object → :class:`Sample` (raises :class:`DecodeError`)."""
    if not isinstance(obj, dict):
        raise DecodeError(BAD_TYPE, f"reading must be a JSON object, got {type(obj).__name__}")
    fields: dict[str, float] = {}
    for key in NUMERIC_KEYS:
        v = obj.get(key)
        if v is not None:
            # orjson never yields a non-finite float (it rejects NaN, Infinity and overflow), so floats pass as is.
            fields[key] = v if type(v) is float else number(v, key)
    smoke = obj.get("smoke")
    if smoke is not None:
        if isinstance(smoke, bool):
            fields["smoke"] = 1.0 if smoke else 0.0
        elif isinstance(smoke, int | float) and smoke in (0, 1):
            fields["smoke"] = float(smoke)
        else:
            raise DecodeError(BAD_TYPE, "smoke must be true/false or 0/1")
    if not fields:
        raise DecodeError(EMPTY, "no measurement fields (temperature_c, humidity_pct, smoke, smoke_level, battery_v)")
    ts = obj.get("ts")
    ts_ms = timestamp_ms(ts) if ts is not None else None
    seq = obj.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        raise DecodeError(BAD_TYPE, "seq must be an integer")
    return Sample(device_id, fields, ts_ms, seq, index, batched)


_SMOKE = re.compile(rb'"smoke": ?(?:true|1)')

# Malformed telemetry a simulated node sends on demand, one reject reason each.
BAD_TELEMETRY: tuple[bytes, ...] = (
    b"{temperature_c: 21",  # not_json
    b'{"temperature_c": NaN, "humidity_pct": 50}',  # not_finite
    b'{"ts": %d, "temperature_c": 21.0, "humidity_pct": 150.0}',  # out_of_range
    b'{"ts": %d, "temperature_c": "hot", "humidity_pct": 50}',  # bad_type
    b'{"ts": "yesterday", "temperature_c": 21.0}',  # bad_timestamp
)


class NativeInfo(ProfileInfo):
    """A native node's topic is ``kho/<name>``, under kho's own prefix."""

    __slots__ = ()

    def check_topic(self, topic: str) -> None:
        levels = topic.split("/")
        if len(levels) != 2 or levels[0] != "kho":
            raise RegistryError(f"a native node's topic must be kho/<name>, not {topic!r}")


INFO = NativeInfo(
    "native",
    "kho/{id}",
    "kho firmware: JSON on <root>/telemetry, online/offline on <root>/status",
    setup_hint="native nodes run kho's own firmware: nothing to generate",
    kho_firmware=True,
)


class Native(Profile):
    """kho's own firmware."""

    info = INFO
    subscriptions = ("kho/+/telemetry", "kho/+/status")
    reports_smoke = True

    def match(self, topic: str) -> Match | None:
        if topic.endswith("/telemetry"):
            return Match(topic[: -len("/telemetry")], "telemetry")
        if topic.endswith("/status"):
            return Match(topic[: -len("/status")], "status")
        return None

    def decoder(self, match: Match) -> Decoder:
        return decode_native if match.channel == "telemetry" else decode_status

    def smoke_hint(self, topic: str, payload: bytes) -> bool:
        return b"smoke" in payload and _SMOKE.search(payload) is not None

    def reading_messages(self, root: str, values: dict[str, float], wall: float, seq: int) -> list[Message]:
        doc: dict[str, object] = {"ts": round(wall, 3), "seq": seq, **values}
        if "smoke" in values:
            doc["smoke"] = values["smoke"] >= 1.0
        return [(f"{root}/telemetry", orjson.dumps(doc))]

    def bad_message(self, root: str, k: int, wall: float) -> Message:
        bad = BAD_TELEMETRY[k % len(BAD_TELEMETRY)]
        return f"{root}/telemetry", (bad % round(wall) if b"%d" in bad else bad)


PROFILE = Native()
