"""Payload decoders of the device profiles (native, ESPHome, Tasmota, status) and their dispatcher."""

from collector.decoders.dispatch import DEFAULT_TOPICS, Dispatcher, Route, route_topic
from collector.decoders.types import (
    CLOCK_SKEW,
    REJECT_REASONS,
    Ignored,
    Outcome,
    Reject,
    Sample,
    Status,
)

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_TOPICS",
    "REJECT_REASONS",
    "Dispatcher",
    "Ignored",
    "Outcome",
    "Reject",
    "Route",
    "Sample",
    "Status",
    "route_topic",
]
