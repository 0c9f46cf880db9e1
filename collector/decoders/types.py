"""What decoding one MQTT message can yield: samples, a status change, an ignored value or a reject."""

from __future__ import annotations

from dataclasses import dataclass, field

# Reject reasons (stable names: counted in health/metrics, stored in the dead-letter store).
NOT_JSON = "not_json"
BAD_TYPE = "bad_type"
NOT_FINITE = "not_finite"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_DEVICE = "unknown_device"
UNKNOWN_TOPIC = "unknown_topic"
OVERSIZED = "oversized"
BAD_TIMESTAMP = "bad_timestamp"
BAD_STATUS = "bad_status"
EMPTY = "empty"
INFLUX_REJECTED = "influx_rejected"
# A bug in kho met this message; it is kept in the dead-letter store and the stream goes on.
INTERNAL_ERROR = "internal_error"
# Not a reject: the device clock was off, the reading was kept with the receive time.
CLOCK_SKEW = "clock_skew"

REJECT_REASONS = (
    NOT_JSON,
    BAD_TYPE,
    NOT_FINITE,
    OUT_OF_RANGE,
    UNKNOWN_DEVICE,
    UNKNOWN_TOPIC,
    OVERSIZED,
    BAD_TIMESTAMP,
    BAD_STATUS,
    EMPTY,
    INFLUX_REJECTED,
    INTERNAL_ERROR,
)


@dataclass(slots=True)
class Sample:
    """Measured values of one device at one instant, before validation and attribution."""

    device_id: str
    fields: dict[str, float]
    ts_ms: int | None = None
    seq: int | None = None
    # Position in a batched array (0 for single messages); batches may carry older, buffered readings.
    index: int = 0
    batched: bool = False


@dataclass(slots=True)
class Status:
    """The device announced itself online or offline (status topic or last will)."""

    device_id: str
    online: bool


@dataclass(slots=True)
class Reject:
    """The message (or one element of a batch) cannot be stored; ``reason`` is one of REJECT_REASONS."""

    reason: str
    detail: str
    device_id: str | None = None


@dataclass(slots=True)
class Ignored:
    """A valid value kho does not store (e.g. an ESPHome Wi-Fi signal sensor)."""

    device_id: str
    what: str = field(default="")


Outcome = Sample | Status | Reject | Ignored
