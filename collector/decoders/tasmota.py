"""Tasmota profile: ``tele/<topic>/SENSOR`` JSON with one object per attached sensor."""

from __future__ import annotations

from typing import Any

from collector.decoders.common import DecodeError, number, parse_json, timestamp_ms
from collector.decoders.types import BAD_TYPE, EMPTY, Outcome, Sample

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
