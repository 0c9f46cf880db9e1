"""One pass over received messages: decode → validate → stamp → attribute → line protocol.

A function of the messages, a registry snapshot and the receive time, with no I/O: what to write, what to
acknowledge, what to hand the stream consumers and what to keep as dead letters come back as a :class:`Batch`.
The only state kept between passes is per device: the last receive-time stamp (so restamped readings of one
device never collide) and the latest temperature and humidity for pairing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from collector.attribution import Snapshot
from collector.deadletter import DeadLetter
from collector.decoders.types import CLOCK_SKEW, INTERNAL_ERROR, UNKNOWN_DEVICE, Ignored, Reject, Sample, Status
from collector.influx_schema import CLIMATE, ONLINE_FIELD, STATUS
from collector.lineprotocol import format_fields
from collector.metrics import Counters
from collector.pairing import Pairing
from collector.ratelog import LogOnce
from collector.reading import Reading, StatusEvent
from collector.validate import TimePolicy, check_values, effective_ts

log = logging.getLogger(__name__)

# (connection generation, packet id, topic, payload, retain, qos) of one received message.
Inbound = tuple[int, int, str, bytes, bool, int]
# (connection generation, packet id, qos) of a message to acknowledge once its lines are durable.
Ack = tuple[int, int, int]


@dataclass(slots=True)
class Batch:
    """What one pass produced."""

    lines: list[str] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    statuses: list[StatusEvent] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)


class Pipeline:
    """Turns chunks of received messages into batches, counting what it sees in ``counters``."""

    def __init__(self, policy: TimePolicy, counters: Counters | None = None, log_once: LogOnce | None = None) -> None:
        self.policy = policy
        self.counters = counters if counters is not None else Counters()
        self.log_once = log_once if log_once is not None else LogOnce(log)
        self.pairing = Pairing()
        self._restamped: dict[str, int] = {}

    def run(
        self,
        chunk: list[Inbound],
        snap: Snapshot,
        now_ms: int,
        refresh: Callable[[], Snapshot | None] | None = None,
    ) -> Batch:
        """Process ``chunk`` against ``snap``; ``refresh`` may return a newer snapshot when a device is unknown."""
        out = Batch()
        for gen, mid, topic, payload, retain, qos in chunk:
            try:
                outcomes = snap.dispatcher.decode(topic, payload)
                if (
                    refresh is not None
                    and len(outcomes) == 1
                    and type(outcomes[0]) is Reject
                    and outcomes[0].reason == UNKNOWN_DEVICE
                ):
                    newer = refresh()
                    if newer is not None:
                        snap = newer
                        outcomes = snap.dispatcher.decode(topic, payload)
                for o in outcomes:
                    if type(o) is Sample:
                        self._sample(o, snap, topic, payload, retain, now_ms, out)
                    elif type(o) is Status:
                        self._status(o, snap, retain, now_ms, out)
                    elif type(o) is Reject:
                        out.letters.append(self._reject(o, topic, payload, now_ms))
                    elif type(o) is Ignored:
                        self.counters.ignored_total += 1
            except Exception as e:  # a bug must not stall the stream: keep the message for inspection, ack it
                log.exception("internal error on a message from %s", topic)
                reject = Reject(INTERNAL_ERROR, f"{type(e).__name__}: {e}")
                out.letters.append(self._reject(reject, topic, payload, now_ms))
            if qos:
                out.acks.append((gen, mid, qos))
        c = self.counters
        c.received_total += len(chunk)
        c.readings_total += len(out.readings)
        c.status_total += len(out.statuses)
        c.last_message_ms = now_ms
        return out

    def _sample(
        self, o: Sample, snap: Snapshot, topic: str, payload: bytes, retain: bool, now_ms: int, out: Batch
    ) -> None:
        if retain and o.ts_ms is None:
            # A retained value replayed at subscribe (ESPHome retains states) has no time of its own: stamping it
            # "now" would invent a fresh reading.
            self.counters.retained_skipped_total += 1
            return
        bad = check_values(o)
        if bad is not None:
            out.letters.append(self._reject(bad, topic, payload, now_ms))
            return
        dev = snap.devices[o.device_id]
        ts, skewed = effective_ts(o, now_ms, self.policy)
        if skewed or o.ts_ms is None:
            # Receive-time stamps of one device must not collide (same series + time overwrites).
            last = self._restamped.get(o.device_id, 0)
            if ts <= last:
                ts = last + 1
            self._restamped[o.device_id] = ts
        if skewed:
            self.counters.clock_skew_total += 1
            self.log_once(
                o.device_id,
                CLOCK_SKEW,
                "device %s clock is off by %.0f s; using receive time",
                o.device_id,
                ((o.ts_ms or now_ms) - now_ms) / 1000,
            )
        pl = dev.placement_at(ts)
        if pl is None:
            reject = Reject(UNKNOWN_DEVICE, f"device {dev.id} has no room", dev.id)
            out.letters.append(self._reject(reject, topic, payload, now_ms))
            return
        fields = self.pairing.with_dew_point(o.device_id, o.fields, ts)
        out.lines.append(f"{snap.prefix(CLIMATE, dev, pl)}{format_fields(fields)} {ts}")
        out.readings.append(Reading(dev.id, pl.site, pl.room, pl.room_id, ts, now_ms, fields))

    def _status(self, o: Status, snap: Snapshot, retain: bool, now_ms: int, out: Batch) -> None:
        dev = snap.devices[o.device_id]
        pl = dev.placement_at(now_ms)
        if pl is None:
            return
        out.statuses.append(StatusEvent(dev.id, pl.site, pl.room, pl.room_id, o.online, now_ms, retain))
        if not retain:  # a retained replay describes the past; it was written when it happened
            out.lines.append(f"{snap.prefix(STATUS, dev, pl)}{ONLINE_FIELD}={float(o.online)!r} {now_ms}")

    def _reject(self, r: Reject, topic: str, payload: bytes, now_ms: int) -> DeadLetter:
        self.counters.reject(r.reason)
        who = r.device_id or topic
        self.log_once(who, r.reason, "rejected %s from %s: %s", r.reason, who, r.detail)
        return DeadLetter(now_ms, r.reason, r.device_id, topic, r.detail, payload)
