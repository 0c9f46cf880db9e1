"""Shelly profile (Gen2+/Gen3 firmware: H&T Gen3, Plus H&T, Plus Smoke) over its own MQTT channel.

A Shelly publishes under its topic prefix (the node's topic root in the registry):

- ``<prefix>/events/rpc``: JSON-RPC notifications. ``NotifyStatus`` / ``NotifyFullStatus`` carry ``params.ts``
  (epoch seconds) and component objects: ``temperature:0`` → ``tC``, ``humidity:0`` → ``rh``,
  ``devicepower:0`` → ``battery.V``, ``smoke:0`` → ``alarm``. A battery H&T wakes, sends one
  ``NotifyFullStatus`` with all of them and sleeps again. Other notifications (``NotifyEvent``, Wi-Fi changes)
  are valid and not stored.
- ``<prefix>/status/<component>`` ("generic status update over MQTT"): the same component object alone, without a
  time: it is stamped on receipt, and temperature and humidity are paired for the dew point like ESPHome's.
- ``<prefix>/online``: ``true`` / ``false`` (retained; ``false`` is the last will).

Only the first instance of each component (``:0``) is read.
"""

from __future__ import annotations

from typing import Any

import orjson

from collector.decoders.common import DecodeError, number, parse_json, timestamp_ms
from collector.decoders.types import BAD_STATUS, BAD_TYPE, Ignored, Outcome, Reject, Sample, Status
from collector.profiles.base import Decoder, Match, Message, Profile, named
from inventory.profiles import ProfileInfo

_NOTIFY = ("NotifyStatus", "NotifyFullStatus")

# Malformed notifications a simulated node sends on demand, one reject reason each (``%d``: epoch seconds).
BAD_RPC: tuple[bytes, ...] = (
    b'{"method":"NotifyFullStatus","params":{"ts":%d,"temperature:0":{"id":0,"tC":21.5}',  # not_json
    b'{"method":"NotifyFullStatus","params":{"ts":%d,"temperature:0":{"id":0,"tC":NaN}}}',  # not_finite
    b'{"method":"NotifyFullStatus","params":{"ts":%d,"humidity:0":{"id":0,"rh":150.0}}}',  # out_of_range
    b'{"method":"NotifyFullStatus","params":{"ts":%d,"temperature:0":{"id":0,"tC":"hot"}}}',  # bad_type
    b'{"method":"NotifyFullStatus","params":{"ts":"yesterday","temperature:0":{"id":0,"tC":21.5}}}',  # bad_timestamp
)


def component_fields(name: str, obj: Any) -> dict[str, float]:
    """kho fields of one component status object (empty: nothing kho stores); raises :class:`DecodeError`."""
    if not isinstance(obj, dict):
        raise DecodeError(BAD_TYPE, f"{name} must be a JSON object, got {type(obj).__name__}")
    if name == "temperature:0" and obj.get("tC") is not None:
        return {"temperature_c": number(obj["tC"], f"{name}.tC")}
    if name == "humidity:0" and obj.get("rh") is not None:
        return {"humidity_pct": number(obj["rh"], f"{name}.rh")}
    if name == "devicepower:0":
        battery = obj.get("battery")
        if isinstance(battery, dict) and battery.get("V") is not None:
            return {"battery_v": number(battery["V"], f"{name}.battery.V")}
        return {}
    if name == "smoke:0" and obj.get("alarm") is not None:
        alarm = obj["alarm"]
        if not isinstance(alarm, bool):
            raise DecodeError(BAD_TYPE, f"{name}.alarm must be true or false")
        return {"smoke": 1.0 if alarm else 0.0}
    return {}


def decode_rpc(device_id: str, payload: bytes) -> list[Outcome]:
    """``<prefix>/events/rpc``: a status notification → one sample stamped with ``params.ts``."""
    try:
        doc = parse_json(payload)
        if not isinstance(doc, dict):
            raise DecodeError(BAD_TYPE, f"RPC frame must be a JSON object, got {type(doc).__name__}")
        method = doc.get("method")
        if method not in _NOTIFY:
            return [Ignored(device_id, f"rpc {str(method)[:40]}")]
        params = doc.get("params")
        if not isinstance(params, dict):
            raise DecodeError(BAD_TYPE, f"{method} params must be a JSON object")
        fields: dict[str, float] = {}
        for name, obj in params.items():
            if name != "ts":
                fields.update(component_fields(name, obj))
        if not fields:
            return [Ignored(device_id, f"{method} without climate components")]
        ts = params.get("ts")
        return [Sample(device_id, fields, timestamp_ms(ts) if ts is not None else None)]
    except DecodeError as e:
        return [e.reject(device_id)]


def decode_component(device_id: str, name: str, payload: bytes) -> list[Outcome]:
    """``<prefix>/status/<component>``: one component object → a sample stamped on receipt."""
    try:
        fields = component_fields(name, parse_json(payload))
    except DecodeError as e:
        return [e.reject(device_id)]
    if not fields:
        return [Ignored(device_id, f"component {name[:40]}")]
    return [Sample(device_id, fields)]


def decode_online(device_id: str, payload: bytes) -> list[Outcome]:
    """``<prefix>/online``: ``true`` / ``false``."""
    text = payload.strip().lower()
    if text in (b"true", b"false"):
        return [Status(device_id, text == b"true")]
    return [Reject(BAD_STATUS, f"online must be true or false, got {payload[:20]!r}", device_id)]


class Shelly(Profile):
    """Shelly Gen2+ devices with MQTT enabled and RPC status notifications on."""

    info = ProfileInfo(
        "shelly",
        "{id}",
        "Shelly Gen2+/Gen3 (H&T, Plus Smoke): JSON-RPC on <prefix>/events/rpc, <prefix>/status/<component>",
        setup_hint="configure MQTT in the Shelly's own web page: server, user, password, topic prefix = the "
        "node's topic, 'RPC status notifications' on",
    )
    subscriptions = ("+/events/rpc", "+/status/+", "+/online")
    reports_smoke = True

    def match(self, topic: str) -> Match | None:
        if topic.endswith("/events/rpc"):
            return Match(topic[: -len("/events/rpc")], "rpc")
        if topic.endswith("/online"):
            return Match(topic[: -len("/online")], "online")
        parts = topic.rsplit("/", 2)
        if len(parts) == 3 and parts[1] == "status" and parts[0] and parts[2]:
            return Match(parts[0], "component", parts[2])
        return None

    def decoder(self, match: Match) -> Decoder:
        if match.channel == "rpc":
            return decode_rpc
        if match.channel == "component":
            return named(decode_component, match.name)
        return decode_online

    def smoke_hint(self, topic: str, payload: bytes) -> bool:
        return b'"alarm":true' in payload or b'"alarm": true' in payload

    def status_message(self, root: str, online: bool) -> Message:
        return f"{root}/online", b"true" if online else b"false"

    def reading_messages(self, root: str, values: dict[str, float], wall: float, seq: int) -> list[Message]:
        t = values["temperature_c"]
        params: dict[str, object] = {
            "ts": round(wall, 2),
            "temperature:0": {"id": 0, "tC": t, "tF": round(t * 9 / 5 + 32, 1)},
            "humidity:0": {"id": 0, "rh": values["humidity_pct"]},
        }
        if "battery_v" in values:
            params["devicepower:0"] = {"id": 0, "battery": {"V": values["battery_v"], "percent": 90}}
        if "smoke" in values:
            params["smoke:0"] = {"id": 0, "alarm": values["smoke"] >= 1.0, "mute": False}
        doc = {"src": root, "dst": f"{root}/events", "method": "NotifyFullStatus", "params": params}
        return [(f"{root}/events/rpc", orjson.dumps(doc))]

    def bad_message(self, root: str, k: int, wall: float) -> Message:
        bad = BAD_RPC[k % len(BAD_RPC)]
        return f"{root}/events/rpc", (bad % round(wall) if b"%d" in bad else bad)


PROFILE = Shelly()
