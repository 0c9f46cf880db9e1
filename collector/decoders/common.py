"""Helpers shared by the payload decoders: JSON parsing, timestamps, numbers."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import orjson

from collector.decoders.types import BAD_TIMESTAMP, BAD_TYPE, NOT_FINITE, NOT_JSON, Reject

_NONFINITE_TOKENS = (b"NaN", b"nan", b"Infinity", b"inf")


class DecodeError(Exception):
    """Raised inside decoders and turned into a :class:`Reject` by the dispatcher."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail

    def reject(self, device_id: str | None) -> Reject:
        return Reject(self.reason, self.detail, device_id)


def parse_json(payload: bytes) -> Any:
    """Parse JSON; NaN/Infinity literals and overflowing numbers are reported as ``not_finite``."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as e:
        msg = str(e)
        if "infinity" in msg or any(tok in payload for tok in _NONFINITE_TOKENS):
            raise DecodeError(NOT_FINITE, f"non-finite number in JSON: {msg[:120]}") from None
        raise DecodeError(NOT_JSON, f"not valid JSON: {msg[:120]}") from None


def number(value: Any, name: str) -> float:
    """A JSON number as float (booleans are not numbers here); NaN/inf raise ``not_finite``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(BAD_TYPE, f"{name} must be a number, got {type(value).__name__}")
    f = float(value)
    if not math.isfinite(f):
        raise DecodeError(NOT_FINITE, f"{name} is not finite")
    return f


def timestamp_ms(value: Any) -> int:
    """Epoch seconds (int/float), epoch milliseconds (> 1e11) or ISO-8601 text as epoch ms.

    ISO text without an offset is taken as UTC (devices often stamp local time; the skew window catches it).
    """
    if isinstance(value, bool):
        raise DecodeError(BAD_TIMESTAMP, "ts must be epoch seconds or ISO-8601 text, got a boolean")
    if isinstance(value, int | float):
        f = float(value)
        if not math.isfinite(f) or f <= 0:
            raise DecodeError(BAD_TIMESTAMP, f"ts {value!r} is not a valid time")
        ms = f if f > 1e11 else f * 1000.0
        if ms > 4.1e12:  # after year 2099: garbage, not clock skew
            raise DecodeError(BAD_TIMESTAMP, f"ts {value!r} is not a valid time")
        return round(ms)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DecodeError(BAD_TIMESTAMP, f"ts {value[:40]!r} is not ISO-8601") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        try:
            return round(dt.timestamp() * 1000)
        except (OverflowError, OSError, ValueError):
            raise DecodeError(BAD_TIMESTAMP, f"ts {value[:40]!r} is out of range") from None
    raise DecodeError(BAD_TIMESTAMP, f"ts must be epoch seconds or ISO-8601 text, got {type(value).__name__}")
