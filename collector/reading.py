"""What the collector hands to InfluxDB and to stream consumers (the alert engine)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from collector.influx_schema import CLIMATE_FIELDS

__all__ = ["CLIMATE_FIELDS", "Reading", "StatusEvent", "StreamConsumer"]


@dataclass(slots=True)
class Reading:
    """One validated, room-attributed reading of one node at one instant."""

    device_id: str
    site: str
    room: str
    room_id: int
    ts_ms: int
    received_ms: int
    fields: dict[str, float] = field(default_factory=dict)

    @property
    def smoke(self) -> bool:
        """True when the node reports smoke (binary input)."""
        return self.fields.get("smoke", 0.0) >= 1.0


@dataclass(slots=True)
class StatusEvent:
    """A node's online/offline announcement (status topic or MQTT last will)."""

    device_id: str
    site: str
    room: str
    room_id: int
    online: bool
    ts_ms: int
    # Retained messages replayed on subscribe describe the past: consumers must not notify on them.
    retained: bool = False


class StreamConsumer(Protocol):
    """Receives readings and status events as they arrive, before InfluxDB batching.

    Called from the collector's processing thread: implementations must return quickly
    (hand off to their own queue) and must not raise. The collector waits for a consumer while its ``backlog()``
    is more than ``collector.consumer_backlog_max`` (a consumer that handles readings inline returns 0).
    """

    def on_readings(self, readings: Sequence[Reading]) -> None: ...

    def on_status(self, event: StatusEvent) -> None: ...

    def backlog(self) -> int:
        """Readings handed over and not yet handled."""
        ...
