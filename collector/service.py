"""The collector service: MQTT in, decode → validate → attribute → stream consumers → InfluxDB writer."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy.orm import Session, sessionmaker

from collector.attribution import Attribution
from collector.deadletter import DeadLetter, DeadLetterStore
from collector.decoders.types import (
    CLOCK_SKEW,
    INTERNAL_ERROR,
    REJECT_REASONS,
    UNKNOWN_DEVICE,
    Ignored,
    Reject,
    Sample,
    Status,
)
from collector.dewpoint import dew_point_c
from collector.influx import InfluxClient, InfluxError
from collector.lineprotocol import format_fields
from collector.mqttclient import DrainingClient, Publish
from collector.reading import Reading, StatusEvent, StreamConsumer
from collector.settings import CollectorSettings, InfluxSettings, MqttSettings
from collector.spool import Spool
from collector.validate import TimePolicy, check_values, effective_ts
from collector.writer import Writer
from inventory.privatefiles import private_dir

log = logging.getLogger(__name__)

# Messages processed per pass; smaller passes bound how long a smoke message waits behind the one under way.
CHUNK = 500
# Received, not yet processed: above INBOX_HIGH the network thread stops reading until INBOX_LOW (bounded memory;
# the broker keeps the rest). Smoke read before the pause still overtakes the backlog.
INBOX_HIGH = 10_000
INBOX_LOW = 5_000
_SMOKE = re.compile(rb'"smoke": ?(?:true|1)')


def smoke_hint(topic: str, payload: bytes) -> bool:
    """A cheap guess, before decoding, that a message reports smoke (the decoder still decides)."""
    if b"smoke" in payload:
        return _SMOKE.search(payload) is not None
    return payload == b"ON" and "/binary_sensor/" in topic


# Readings of one-value-per-message profiles (ESPHome) pair T and RH for the dew point within this window.
PAIR_WINDOW_MS = 120_000
LOG_EVERY_S = 60.0


class Collector:
    """Subscribe, decode, attribute, feed consumers and write InfluxDB; acknowledge only durable messages."""

    def __init__(
        self,
        mqtt: MqttSettings,
        influx: InfluxSettings,
        cfg: CollectorSettings,
        sessions: sessionmaker[Session],
        state_dir: Path,
        consumers: Sequence[StreamConsumer] = (),
    ) -> None:
        self.mqtt_settings = mqtt
        self.influx_settings = influx
        self.cfg = cfg
        self.sessions = sessions
        self.state_dir = Path(state_dir)
        self.consumers: list[StreamConsumer] = list(consumers)
        self.policy = TimePolicy(int(cfg.skew_window_s * 1000), int(cfg.backfill_window_s * 1000))
        self.influx = InfluxClient(influx)
        self.attribution: Attribution | None = None
        self.deadletters: DeadLetterStore | None = None
        self.writer: Writer | None = None
        self._client: paho.Client | None = None
        self._inbox: deque[tuple[int, int, str, bytes, bool, int]] = deque()
        self._urgent: deque[tuple[int, int, str, bytes, bool, int]] = deque()
        self._wake = threading.Event()
        self._drained = threading.Event()
        self._drained.set()
        self.read_pauses_total = 0
        self._running = False
        self._accepting = True
        self._processing = False
        self._threads: list[threading.Thread] = []
        self._gen = 0
        self._connected = False
        self._started = 0.0
        self._last_th: dict[str, list[float]] = {}
        self._restamped: dict[str, int] = {}
        self._log_times: dict[tuple[str, str], float] = {}
        self._rate: deque[tuple[float, int]] = deque(maxlen=20)
        self.received_total = 0
        self.readings_total = 0
        self.status_total = 0
        self.rejected_total = 0
        self.ignored_total = 0
        self.retained_skipped_total = 0
        self.clock_skew_total = 0
        self.consumer_errors_total = 0
        self.consumer_waits_total = 0
        self.consumer_wait_s = 0.0
        self.rejects_by_reason: dict[str, int] = dict.fromkeys(REJECT_REASONS, 0)
        self.last_message_ms = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def add_consumer(self, consumer: StreamConsumer) -> None:
        """Feed ``consumer`` every reading and status event from now on."""
        self.consumers.append(consumer)

    def start(self) -> None:
        """Load the registry, open the spool, start threads and connect (returns at once)."""
        private_dir(self.state_dir)
        self._started = time.monotonic()
        self.attribution = Attribution(self.sessions, self.cfg.max_payload_bytes)
        self.deadletters = DeadLetterStore(self.state_dir / "deadletter.db", self.cfg.deadletter_max)
        spool = Spool(self.state_dir / "spool.db", int(self.cfg.spool_max_mb * 1024 * 1024))
        influx_down = ""
        if self.influx_settings.manage_database:
            try:
                self.influx.ensure_database()
            except InfluxError as e:
                influx_down = str(e)
                log.warning("InfluxDB not ready at start (%s); readings will be spooled", e)
        elif not self.influx.ping():
            influx_down = "InfluxDB does not answer /ping"
        self.writer = Writer(
            self.influx,
            spool,
            self.deadletters,
            self._ack,
            batch_max_lines=self.cfg.batch_max_lines,
            flush_interval_s=self.cfg.flush_interval_s,
            ack_threshold=max(1, min(self.cfg.ack_every, self.cfg.receive_maximum // 2)),
            ensure_database=self.influx.ensure_database if self.influx_settings.manage_database else None,
        )
        if influx_down:
            self.writer.mark_unreachable(influx_down)
        self.writer.start()
        self._running = True
        for target, name in ((self._process_loop, "kho-process"), (self._refresh_loop, "kho-registry")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        self._client = self._make_client()
        m = self.mqtt_settings
        if m.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 7 * 86400  # keep our queue at the broker across restarts
            props.ReceiveMaximum = max(1, min(65535, self.cfg.receive_maximum))
            self._client.connect_async(m.host, m.port, m.keepalive_s, clean_start=False, properties=props)
        else:
            self._client.connect_async(m.host, m.port, m.keepalive_s)
        self._client.loop_start()

    def _make_client(self) -> paho.Client:
        m = self.mqtt_settings
        if m.protocol == "5":
            c = DrainingClient(CallbackAPIVersion.VERSION2, client_id=m.client_id, protocol=paho.MQTTv5)
        else:  # persistent session: the broker queues for us while we are away
            c = DrainingClient(
                CallbackAPIVersion.VERSION2, client_id=m.client_id, protocol=paho.MQTTv311, clean_session=False
            )
        c.manual_ack_set(True)
        if m.username:
            c.username_pw_set(m.username, m.password.get_secret_value() if m.password else None)
        if m.tls_ca:
            c.tls_set(ca_certs=m.tls_ca, certfile=m.tls_cert, keyfile=m.tls_key)
        c.reconnect_delay_set(1, 5)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message  # MQTT 5 and QoS 2
        c.on_publish_batch = self._on_publishes
        c.may_read = self._may_read
        return c

    def stop(self, timeout_s: float = 30.0) -> None:
        """Process what was received, write or spool it, acknowledge, then disconnect cleanly."""
        if not self._running:
            return
        # Stop taking messages (those arriving now stay unacknowledged and are redelivered), drain the rest.
        self._accepting = False
        deadline = time.monotonic() + timeout_s
        while (self._inbox or self._urgent or self._processing) and time.monotonic() < deadline:
            time.sleep(0.02)
        self._running = False
        self._wake.set()
        for t in self._threads:
            t.join(5)
        self._threads.clear()
        if self.writer is not None:
            self.writer.stop(timeout_s)
        if self._client is not None:
            time.sleep(0.05)  # let the loop thread send the last PUBACKs
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        if self.writer is not None:
            self.writer.spool.close()
        if self.deadletters is not None:
            self.deadletters.close()
        self.influx.close()

    def wait_idle(self, timeout_s: float = 30.0, include_spool: bool = True) -> bool:
        """True once every received message is processed and written (or spooled) and acknowledged."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if (
                not self._inbox
                and not self._urgent
                and not self._processing
                and self.writer is not None
                and self.writer.idle(include_spool)
            ):
                time.sleep(0.05)
                if not self._inbox and not self._urgent and not self._processing and self.writer.idle(include_spool):
                    return True
            time.sleep(0.02)
        return False

    def refresh_registry(self) -> None:
        """Reload the registry snapshot now (tests, or after bulk changes)."""
        if self.attribution is not None:
            self.attribution.refresh(force=True)

    # -- MQTT callbacks (paho's thread: hand off only) -----------------------------------------
    def _subscriptions(self) -> list[str]:
        g = self.mqtt_settings.shared_group
        return [f"$share/{g}/{t}" if g else t for t in self.cfg.topics]

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any = None) -> None:
        if rc.is_failure:
            self._connected = False
            log.warning("MQTT connect to %s:%s refused: %s", self.mqtt_settings.host, self.mqtt_settings.port, rc)
            return
        self._gen += 1
        self._connected = True
        if self.mqtt_settings.protocol == "5":
            client.subscribe([(t, SubscribeOptions(qos=1)) for t in self._subscriptions()])
        else:
            client.subscribe([(t, 1) for t in self._subscriptions()])
        log.info(
            "MQTT connected to %s:%s (session present: %s)",
            self.mqtt_settings.host,
            self.mqtt_settings.port,
            getattr(flags, "session_present", "?"),
        )

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any = None) -> None:
        self._connected = False
        if self._running:
            log.warning("MQTT disconnected (%s); reconnecting", rc)

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        """paho's per-message path (MQTT 5, QoS 2): the same hand-off as a bulk read of one message."""
        self._on_publishes([(msg.mid, msg.topic, bytes(msg.payload), msg.retain, msg.qos)])

    def _may_read(self) -> bool:
        """The network thread's gate: once the inbox reached INBOX_HIGH, wait (briefly, so PUBACKs and keepalive
        go on) until the processing thread has brought it down to INBOX_LOW."""
        if self._drained.is_set():
            if len(self._inbox) < INBOX_HIGH:
                return True
            self._drained.clear()
            self.read_pauses_total += 1
        return self._drained.wait(0.01)

    def _on_publishes(self, batch: list[Publish]) -> None:
        if not self._accepting:
            return
        gen = self._gen
        urgent = False
        items = []
        for mid, topic, payload, retain, qos in batch:
            if smoke_hint(topic, payload):
                self._urgent.append((gen, mid, topic, payload, retain, qos))
                urgent = True
            else:
                items.append((gen, mid, topic, payload, retain, qos))
        self._inbox.extend(items)
        if urgent or not self._wake.is_set():
            self._wake.set()

    def _ack(self, acks: list[Any]) -> None:
        client = self._client
        if client is None:
            return
        gen = self._gen
        # A message received on an earlier connection is redelivered by the broker: acking its old
        # packet id on the new connection could acknowledge a different message.
        mids = [mid for g, mid, qos in acks if g == gen and qos == 1]
        if isinstance(client, DrainingClient):
            client.ack_many(mids)
        else:
            for mid in mids:
                client.ack(mid, 1)

    # -- processing thread ---------------------------------------------------------------------
    def _process_loop(self) -> None:
        inbox, urgent = self._inbox, self._urgent
        while self._running:
            if not inbox and not urgent:
                self._wake.wait(0.1)
                self._wake.clear()
                self._tick_rate()
                continue
            self._processing = True
            try:
                # Smoke overtakes the backlog: it reaches the alert engine before the chunk ahead of it.
                source = urgent if urgent else inbox
                chunk = [source.popleft() for _ in range(min(CHUNK, len(source)))]
                if len(inbox) <= INBOX_LOW and not self._drained.is_set():
                    self._drained.set()
                self._process(chunk, may_wait=source is inbox)
            except Exception:  # never die on input; the chunk stays unacknowledged and is redelivered
                log.exception("processing error")
            finally:
                self._processing = False
            self._tick_rate()

    def _process(self, chunk: list[tuple[int, int, str, bytes, bool, int]], may_wait: bool = False) -> None:
        assert self.attribution is not None and self.writer is not None and self.deadletters is not None
        snap = self.attribution.snapshot
        now_ms = int(time.time() * 1000)
        lines: list[str] = []
        acks: list[tuple[int, int, int]] = []
        readings: list[Reading] = []
        statuses: list[StatusEvent] = []
        letters: list[DeadLetter] = []
        policy = self.policy
        restamped = self._restamped
        for gen, mid, topic, payload, retain, qos in chunk:
            try:
                outcomes = snap.dispatcher.decode(topic, payload)
                if (
                    len(outcomes) == 1
                    and type(outcomes[0]) is Reject
                    and outcomes[0].reason == UNKNOWN_DEVICE
                    and self.attribution.refresh_soon()
                ):
                    snap = self.attribution.snapshot
                    outcomes = snap.dispatcher.decode(topic, payload)
                for o in outcomes:
                    if type(o) is Sample:
                        if retain and o.ts_ms is None:
                            # A retained value replayed at subscribe (ESPHome retains states) has no time of
                            # its own: stamping it "now" would invent a fresh reading.
                            self.retained_skipped_total += 1
                            continue
                        bad = check_values(o)
                        if bad is not None:
                            letters.append(self._reject(bad, topic, payload, now_ms))
                            continue
                        dev = snap.devices[o.device_id]
                        ts, skewed = effective_ts(o, now_ms, policy)
                        if skewed or o.ts_ms is None:
                            # Receive-time stamps of one device must not collide (same series + time overwrites).
                            last = restamped.get(o.device_id, 0)
                            if ts <= last:
                                ts = last + 1
                            restamped[o.device_id] = ts
                        if skewed:
                            self.clock_skew_total += 1
                            self._log_once(
                                o.device_id,
                                CLOCK_SKEW,
                                "device %s clock is off by %.0f s; using receive time",
                                o.device_id,
                                ((o.ts_ms or now_ms) - now_ms) / 1000,
                            )
                        pl = dev.placement_at(ts)
                        if pl is None:
                            letters.append(
                                self._reject(
                                    Reject(UNKNOWN_DEVICE, f"device {dev.id} has no room", dev.id),
                                    topic,
                                    payload,
                                    now_ms,
                                )
                            )
                            continue
                        fields = self._with_dew_point(o.device_id, o.fields, ts)
                        lines.append(f"{snap.prefix('climate', dev, pl)}{format_fields(fields)} {ts}")
                        readings.append(Reading(dev.id, pl.site, pl.room, pl.room_id, ts, now_ms, fields))
                    elif type(o) is Status:
                        dev = snap.devices[o.device_id]
                        pl = dev.placement_at(now_ms)
                        if pl is None:
                            continue
                        statuses.append(StatusEvent(dev.id, pl.site, pl.room, pl.room_id, o.online, now_ms, retain))
                        if not retain:  # a retained replay describes the past; it was written when it happened
                            lines.append(f"{snap.prefix('device_status', dev, pl)}online={float(o.online)!r} {now_ms}")
                    elif type(o) is Reject:
                        letters.append(self._reject(o, topic, payload, now_ms))
                    elif type(o) is Ignored:
                        self.ignored_total += 1
            except Exception as e:  # a bug must not stall the stream: keep the message for inspection, ack it
                log.exception("internal error on a message from %s", topic)
                letters.append(self._reject(Reject(INTERNAL_ERROR, f"{type(e).__name__}: {e}"), topic, payload, now_ms))
            if qos:
                acks.append((gen, mid, qos))
        self.received_total += len(chunk)
        self.readings_total += len(readings)
        self.status_total += len(statuses)
        self.last_message_ms = now_ms
        if letters:
            try:
                self.deadletters.add_many(letters)
            except Exception as e:  # e.g. disk full: the rejects are counted and logged, the stream goes on
                self._log_once("deadletter", "store", "dead-letter store failed: %s", e)
        if readings or statuses:
            if may_wait:
                self._wait_for_consumers()
            self._feed(readings, statuses)
        self.writer.submit(lines, acks)

    def _with_dew_point(self, device_id: str, fields: dict[str, float], ts: int) -> dict[str, float]:
        t = fields.get("temperature_c")
        rh = fields.get("humidity_pct")
        if t is None or rh is None:
            if t is None and rh is None:
                return fields
            # One value per message (ESPHome): pair with the other value seen recently.
            last = self._last_th.setdefault(device_id, [float("nan"), 0.0, float("nan"), 0.0])
            if t is not None:
                last[0], last[1] = t, ts
                if abs(ts - last[3]) <= PAIR_WINDOW_MS:
                    rh = last[2]
            elif rh is not None:
                last[2], last[3] = rh, ts
                if abs(ts - last[1]) <= PAIR_WINDOW_MS:
                    t = last[0]
            if t is None or rh is None or t != t or rh != rh:
                return fields
        dp = dew_point_c(t, rh)
        if dp is not None:
            fields["dew_point_c"] = dp
        return fields

    def _wait_for_consumers(self) -> None:
        """Hold the stream while a consumer is too far behind (bounded memory), at most consumer_wait_max_s."""
        limit = self.cfg.consumer_backlog_max
        start = 0.0
        for c in self.consumers:
            backlog = getattr(c, "backlog", None)
            if backlog is None:
                continue
            try:
                while backlog() > limit and self._running:
                    now = time.monotonic()
                    if not start:
                        start = now
                        self.consumer_waits_total += 1
                    elif now - start >= self.cfg.consumer_wait_max_s:
                        self._log_once(
                            type(c).__name__,
                            "backlog",
                            "stream consumer %s is %d readings behind; ingestion goes on without waiting for it",
                            type(c).__name__,
                            backlog(),
                        )
                        break
                    time.sleep(0.002)
            except Exception as e:
                self._log_once(type(c).__name__, "backlog", "backlog() of %s raised %s", type(c).__name__, e)
        if start:
            self.consumer_wait_s += time.monotonic() - start

    def _feed(self, readings: list[Reading], statuses: list[StatusEvent]) -> None:
        for c in self.consumers:
            try:
                if readings:
                    c.on_readings(readings)
                for ev in statuses:
                    c.on_status(ev)
            except Exception as e:
                self.consumer_errors_total += 1
                self._log_once(
                    type(c).__name__,
                    "consumer",
                    "stream consumer %s raised %s: %s",
                    type(c).__name__,
                    type(e).__name__,
                    e,
                )

    def _reject(self, r: Reject, topic: str, payload: bytes, now_ms: int) -> DeadLetter:
        self.rejected_total += 1
        self.rejects_by_reason[r.reason] = self.rejects_by_reason.get(r.reason, 0) + 1
        self._log_once(
            r.device_id or topic, r.reason, "rejected %s from %s: %s", r.reason, r.device_id or topic, r.detail
        )
        return DeadLetter(now_ms, r.reason, r.device_id, topic, r.detail, payload)

    def _log_once(self, who: str, what: str, fmt: str, *args: Any) -> None:
        """Log at most once per (device, reason) per minute: a misbehaving node must not flood the log."""
        key = (who, what)
        now = time.monotonic()
        if now - self._log_times.get(key, -LOG_EVERY_S) >= LOG_EVERY_S:
            if len(self._log_times) > 10_000:
                self._log_times.clear()
            self._log_times[key] = now
            log.warning(fmt, *args)

    def _tick_rate(self) -> None:
        now = time.monotonic()
        if not self._rate or now - self._rate[-1][0] >= 1.0:
            self._rate.append((now, self.readings_total))

    def _refresh_loop(self) -> None:
        assert self.attribution is not None
        while self._running:
            time.sleep(min(0.5, self.cfg.registry_refresh_s))
            if time.monotonic() - self.attribution._last_check >= self.cfg.registry_refresh_s:
                self.attribution.refresh_soon(0)

    # -- health ----------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """A JSON-able snapshot of the collector's state and counters."""
        w = self.writer
        spool = w.spool if w is not None else None
        rate = 0.0
        if len(self._rate) >= 2:
            (t0, n0), (t1, n1) = self._rate[0], self._rate[-1]
            now = time.monotonic()
            if now - t1 < 5 and t1 > t0:
                rate = (n1 - n0) / (t1 - t0)
        spool_full = spool is not None and spool.full_warned
        influx_ok = w.influx_reachable if w is not None else False
        # Spooling keeps data safe, but an unreachable InfluxDB is still something an operator must see.
        healthy = self._running and self._connected and influx_ok and not spool_full
        return {
            "healthy": healthy,
            "broker_connected": self._connected,
            "influx_reachable": influx_ok,
            "spool_depth": spool.depth if spool else 0,
            "spool_batches": spool.entries if spool else 0,
            "spool_bytes": spool.bytes if spool else 0,
            "spool_cap_bytes": spool.max_bytes if spool else 0,
            "spool_full": spool_full,
            "received_total": self.received_total,
            "readings_total": self.readings_total,
            "status_total": self.status_total,
            "written_total": w.written_total if w else 0,
            "spooled_total": w.spooled_total if w else 0,
            "rejected_total": self.rejected_total,
            "rejects_by_reason": {k: v for k, v in self.rejects_by_reason.items() if v},
            "clock_skew_total": self.clock_skew_total,
            "ignored_total": self.ignored_total,
            "retained_skipped_total": self.retained_skipped_total,
            "consumer_errors_total": self.consumer_errors_total,
            "consumer_waits_total": self.consumer_waits_total,
            "consumer_wait_s": round(self.consumer_wait_s, 3),
            "influx_rejected_total": w.influx_rejected_total if w else 0,
            "write_errors_total": w.write_errors_total if w else 0,
            "inbox_depth": len(self._inbox) + len(self._urgent),
            "read_pauses_total": self.read_pauses_total,
            "readings_per_s": round(rate, 1),
            "last_message_ms": self.last_message_ms,
            "last_write_ms": w.last_write_ms if w else 0,
            "uptime_s": round(time.monotonic() - self._started, 1) if self._started else 0.0,
            "deadletter_count": self.deadletters.count if self.deadletters else 0,
            "registry_version": self.attribution.version if self.attribution else 0,
            "devices": len(self.attribution.snapshot.devices) if self.attribution else 0,
        }
