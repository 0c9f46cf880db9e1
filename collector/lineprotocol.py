"""InfluxDB line protocol: escaping and fast line building with precomputed series prefixes."""

from __future__ import annotations

from collections.abc import Mapping

_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\\": "\\\\", "\n": r"\n"})
_MEAS_ESCAPES = str.maketrans({",": r"\,", " ": r"\ ", "\\": "\\\\", "\n": r"\n"})


def escape_tag(value: str) -> str:
    """Escape a tag key or value (commas, equals signs, spaces, backslashes, newlines)."""
    return value.translate(_TAG_ESCAPES)


def escape_measurement(value: str) -> str:
    """Escape a measurement name (commas, spaces, backslashes, newlines)."""
    return value.translate(_MEAS_ESCAPES)


def series_prefix(measurement: str, tags: Mapping[str, str]) -> str:
    """``measurement,k=v,…`` followed by a space; tags sorted by key as InfluxDB prefers. Empty values are dropped."""
    parts = [escape_measurement(measurement)]
    parts.extend(f"{escape_tag(k)}={escape_tag(v)}" for k, v in sorted(tags.items()) if v != "")
    return ",".join(parts) + " "


def format_fields(fields: Mapping[str, float]) -> str:
    """``k=v,…`` with every value written as a float (one field type per name, no conflicts)."""
    return ",".join([f"{k}={float(v)!r}" for k, v in fields.items()])


def line(prefix: str, fields: Mapping[str, float], ts_ms: int) -> str:
    """One line: prefix from :func:`series_prefix`, float fields, millisecond timestamp."""
    return f"{prefix}{format_fields(fields)} {ts_ms}"
