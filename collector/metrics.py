"""The collector's counters and gauges, each declared once: ``/healthz`` and ``/metrics`` both read them here."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

COUNTER = "counter"
GAUGE = "gauge"


@dataclass(frozen=True, slots=True)
class Metric:
    """One number of the health dict (``key``) and how Prometheus names and explains it."""

    key: str
    name: str
    kind: str
    help: str


def _counter(name: str, help: str, default: float = 0) -> Any:
    return field(default=default, metadata={"metric": (name, COUNTER, help)})


@dataclass(slots=True)
class Counters:
    """What the collector itself counts (the writer counts its own, see ``OTHER``)."""

    received_total: int = _counter("kho_collector_messages_received_total", "MQTT messages received")
    readings_total: int = _counter("kho_collector_readings_total", "Valid readings decoded")
    status_total: int = _counter("kho_collector_status_events_total", "Device status events")
    rejected_total: int = _counter("kho_collector_rejected_total", "Rejected messages or batch elements")
    clock_skew_total: int = _counter("kho_collector_clock_skew_total", "Readings restamped with receive time")
    ignored_total: int = _counter("kho_collector_ignored_total", "Valid values kho does not store")
    retained_skipped_total: int = _counter(
        "kho_collector_retained_skipped_total", "Retained values without a time of their own, not stored"
    )
    consumer_errors_total: int = _counter("kho_collector_consumer_errors_total", "Stream consumer exceptions")
    consumer_waits_total: int = _counter(
        "kho_collector_consumer_waits_total", "Times ingestion waited for a stream consumer that was too far behind"
    )
    consumer_wait_s: float = _counter(
        "kho_collector_consumer_wait_seconds_total", "Seconds ingestion waited for stream consumers", 0.0
    )
    read_pauses_total: int = _counter(
        "kho_collector_read_pauses_total", "Times the MQTT reader paused because the inbox was full"
    )
    last_message_ms: int = 0
    # Per reject reason (``kho_collector_rejects_total{reason=…}``); only reasons seen so far.
    rejects_by_reason: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        """Count one reject of ``reason``."""
        self.rejected_total += 1
        self.rejects_by_reason[reason] = self.rejects_by_reason.get(reason, 0) + 1

    def as_health(self) -> dict[str, Any]:
        """The counters as health-dict entries."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if "metric" in f.metadata}
        out["consumer_wait_s"] = round(self.consumer_wait_s, 3)
        out["rejects_by_reason"] = {k: v for k, v in self.rejects_by_reason.items() if v}
        out["last_message_ms"] = self.last_message_ms
        return out


# Yes/no states, exported as 0/1 gauges.
FLAGS = (
    Metric("healthy", "kho_collector_up", GAUGE, "1 when the collector is healthy"),
    Metric("broker_connected", "kho_collector_broker_connected", GAUGE, "1 while connected to the MQTT broker"),
    Metric("influx_reachable", "kho_collector_influx_reachable", GAUGE, "1 while InfluxDB answers"),
)

# Numbers read from the writer, the spool and the collector's state when health is asked for.
OTHER = (
    Metric("written_total", "kho_collector_lines_written_total", COUNTER, "Lines written to InfluxDB"),
    Metric("spooled_total", "kho_collector_lines_spooled_total", COUNTER, "Lines written to the disk spool"),
    Metric("influx_rejected_total", "kho_collector_influx_rejected_total", COUNTER, "Batches InfluxDB refused"),
    Metric("write_errors_total", "kho_collector_influx_write_errors_total", COUNTER, "Failed InfluxDB writes"),
    Metric("spool_depth", "kho_collector_spool_depth", GAUGE, "Lines waiting in the spool"),
    Metric("spool_batches", "kho_collector_spool_batches", GAUGE, "Batches waiting in the spool"),
    Metric("spool_bytes", "kho_collector_spool_bytes", GAUGE, "Bytes in the spool"),
    Metric("spool_cap_bytes", "kho_collector_spool_cap_bytes", GAUGE, "Spool size cap"),
    Metric("inbox_depth", "kho_collector_inbox_depth", GAUGE, "Messages received, not yet processed"),
    Metric("readings_per_s", "kho_collector_readings_per_second", GAUGE, "Recent readings per second"),
    Metric("deadletter_count", "kho_collector_deadletter_count", GAUGE, "Messages in the dead-letter store"),
    Metric("uptime_s", "kho_collector_uptime_seconds", GAUGE, "Seconds since start"),
    Metric("registry_version", "kho_collector_registry_version", GAUGE, "Registry version of the snapshot in use"),
    Metric("devices", "kho_collector_devices", GAUGE, "Nodes in the registry snapshot"),
)

COUNTER_METRICS = tuple(Metric(f.name, *f.metadata["metric"]) for f in fields(Counters) if "metric" in f.metadata)
METRICS = COUNTER_METRICS + OTHER


def prometheus_text(h: dict[str, Any]) -> str:
    """Render a health dict as Prometheus exposition text."""
    out: list[str] = []
    for m in FLAGS:
        out += [f"# HELP {m.name} {m.help}", f"# TYPE {m.name} {m.kind}", f"{m.name} {1 if h.get(m.key) else 0}"]
    for m in METRICS:
        if m.key in h:
            out += [f"# HELP {m.name} {m.help}", f"# TYPE {m.name} {m.kind}", f"{m.name} {h[m.key]}"]
    out += ["# HELP kho_collector_rejects_total Rejects by reason", "# TYPE kho_collector_rejects_total counter"]
    for reason, n in sorted(h.get("rejects_by_reason", {}).items()):
        out.append(f'kho_collector_rejects_total{{reason="{reason}"}} {n}')
    return "\n".join(out) + "\n"


class RateMeter:
    """Readings per second over the last ~20 s, from samples of a running total taken at most once a second."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque(maxlen=20)

    def tick(self, total: int) -> None:
        """Note ``total`` now (ignored within a second of the last sample)."""
        now = time.monotonic()
        if not self._samples or now - self._samples[-1][0] >= 1.0:
            self._samples.append((now, total))

    def per_s(self) -> float:
        """The recent rate; 0 when there are too few samples or the last one is stale (no ticks for 5 s)."""
        if len(self._samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        if time.monotonic() - t1 < 5 and t1 > t0:
            return (n1 - n0) / (t1 - t0)
        return 0.0
