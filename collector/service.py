"""The collector service: MQTT in, the pipeline, stream consumers, the InfluxDB writer; acks once durable.

The parts, each in its own module: the MQTT session (``session.py``) fills the inbox (``inbox.py``); the
processing thread takes chunks (smoke first), runs them through the pipeline (``pipeline.py``) against the
registry snapshot (``attribution.py``), waits for slow consumers (``backpressure.py``), feeds them and hands
lines and acks to the writer (``writer.py``), which writes or spools and then calls back to acknowledge.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from collector.attribution import Attribution, Snapshot
from collector.backpressure import Backpressure
from collector.deadletter import DeadLetterStore
from collector.inbox import Inbox
from collector.influx import InfluxClient, InfluxError
from collector.metrics import Counters, RateMeter
from collector.pipeline import Ack, Batch, Inbound, Pipeline
from collector.profiles import smoke_hint
from collector.ratelog import LogOnce
from collector.reading import StreamConsumer
from collector.session import MqttSession
from collector.settings import CollectorSettings, InfluxSettings, MqttSettings
from collector.spool import Spool
from collector.validate import TimePolicy
from collector.writer import Writer
from inventory.privatefiles import private_dir

__all__ = ["CHUNK", "Collector", "smoke_hint"]

log = logging.getLogger(__name__)

# Messages processed per pass; smaller passes bound how long a smoke message waits behind the one under way.
CHUNK = 500


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
        self.counters = Counters()
        self._log_once = LogOnce(log)
        self.pipeline = Pipeline(
            TimePolicy(int(cfg.skew_window_s * 1000), int(cfg.backfill_window_s * 1000)), self.counters, self._log_once
        )
        self.inbox = Inbox(smoke_hint, self.counters)
        self.session = MqttSession(mqtt, cfg.topics, self.inbox, cfg.receive_maximum)
        self.backpressure = Backpressure(
            cfg.consumer_backlog_max, cfg.consumer_wait_max_s, self.counters, self._log_once, lambda: self._running
        )
        self.influx = InfluxClient(influx)
        self.attribution: Attribution | None = None
        self.deadletters: DeadLetterStore | None = None
        self.writer: Writer | None = None
        self._rate = RateMeter()
        self._running = False
        self._processing = False
        self._threads: list[threading.Thread] = []
        self._started = 0.0

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
        self.writer = self._start_writer(self.deadletters)
        self._running = True
        for target, name in ((self._process_loop, "kho-process"), (self._refresh_loop, "kho-registry")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        self.session.start()

    def _start_writer(self, deadletters: DeadLetterStore) -> Writer:
        spool = Spool(self.state_dir / "spool.db", int(self.cfg.spool_max_mb * 1024 * 1024))
        manage = self.influx_settings.manage_database
        influx_down = ""
        if manage:
            try:
                self.influx.ensure_database()
            except InfluxError as e:
                influx_down = str(e)
                log.warning("InfluxDB not ready at start (%s); readings will be spooled", e)
        elif not self.influx.ping():
            influx_down = "InfluxDB does not answer /ping"
        writer = Writer(
            self.influx,
            spool,
            deadletters,
            self._ack,
            batch_max_lines=self.cfg.batch_max_lines,
            flush_interval_s=self.cfg.flush_interval_s,
            ack_threshold=max(1, min(self.cfg.ack_every, self.cfg.receive_maximum // 2)),
            ensure_database=self.influx.ensure_database if manage else None,
        )
        if influx_down:
            writer.mark_unreachable(influx_down)
        writer.start()
        return writer

    def stop(self, timeout_s: float = 30.0) -> None:
        """Process what was received, write or spool it, acknowledge, then disconnect cleanly."""
        if not self._running:
            return
        # Stop taking messages (those arriving now stay unacknowledged and are redelivered), drain the rest.
        self.session.accepting = False
        deadline = time.monotonic() + timeout_s
        while (self.inbox or self._processing) and time.monotonic() < deadline:
            time.sleep(0.02)
        self._running = False
        self.inbox.wake.set()
        for t in self._threads:
            t.join(5)
        self._threads.clear()
        if self.writer is not None:
            self.writer.stop(timeout_s)
        self.session.stop()
        if self.writer is not None:
            self.writer.spool.close()
        if self.deadletters is not None:
            self.deadletters.close()
        self.influx.close()

    def _busy(self, include_spool: bool) -> bool:
        return bool(self.inbox) or self._processing or self.writer is None or not self.writer.idle(include_spool)

    def wait_idle(self, timeout_s: float = 30.0, include_spool: bool = True) -> bool:
        """True once every received message is processed and written (or spooled) and acknowledged."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._busy(include_spool):
                time.sleep(0.05)
                if not self._busy(include_spool):
                    return True
            time.sleep(0.02)
        return False

    def wait_subscribed(self, timeout_s: float = 10.0) -> bool:
        """True once connected and the broker acknowledged the subscriptions (messages published now reach us)."""
        return self.session.subscribed.wait(timeout_s)

    def refresh_registry(self) -> None:
        """Reload the registry snapshot now (tests, or after bulk changes)."""
        if self.attribution is not None:
            self.attribution.refresh(force=True)

    def _ack(self, acks: list[Ack]) -> None:
        self.session.ack(acks)

    # -- processing thread ---------------------------------------------------------------------
    def _process_loop(self) -> None:
        inbox = self.inbox
        while self._running:
            if not inbox:
                inbox.wake.wait(0.1)
                inbox.wake.clear()
                self._rate.tick(self.counters.readings_total)
                continue
            self._processing = True
            try:
                # Smoke overtakes the backlog: it reaches the alert engine before the chunk ahead of it.
                chunk, normal = inbox.take(CHUNK)
                self._process(chunk, may_wait=normal)
            except Exception:  # never die on input; the chunk stays unacknowledged and is redelivered
                log.exception("processing error")
            finally:
                self._processing = False
            self._rate.tick(self.counters.readings_total)

    def _newer_snapshot(self) -> Snapshot | None:
        """A reloaded snapshot when an unknown device shows up and the registry changed (at most once a second)."""
        a = self.attribution
        return a.snapshot if a is not None and a.refresh_soon() else None

    def _process(self, chunk: list[Inbound], may_wait: bool = False) -> None:
        assert self.attribution is not None and self.writer is not None and self.deadletters is not None
        now_ms = int(time.time() * 1000)
        batch = self.pipeline.run(chunk, self.attribution.snapshot, now_ms, self._newer_snapshot)
        if batch.letters:
            try:
                self.deadletters.add_many(batch.letters)
            except Exception as e:  # e.g. disk full: the rejects are counted and logged, the stream goes on
                self._log_once("deadletter", "store", "dead-letter store failed: %s", e)
        if batch.readings or batch.statuses:
            if may_wait:
                self.backpressure.wait(self.consumers)
            self._feed(batch)
        self.writer.submit(batch.lines, batch.acks)

    def _feed(self, batch: Batch) -> None:
        for c in self.consumers:
            try:
                if batch.readings:
                    c.on_readings(batch.readings)
                for ev in batch.statuses:
                    c.on_status(ev)
            except Exception as e:
                self.counters.consumer_errors_total += 1
                name = type(c).__name__
                self._log_once(name, "consumer", "stream consumer %s raised %s: %s", name, type(e).__name__, e)

    def _refresh_loop(self) -> None:
        assert self.attribution is not None
        while self._running:
            time.sleep(min(0.5, self.cfg.registry_refresh_s))
            self.attribution.refresh_soon(self.cfg.registry_refresh_s)

    # -- health ----------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """A JSON-able snapshot of the collector's state and counters (the keys of ``collector.metrics``)."""
        w = self.writer
        spool = w.spool if w is not None else None
        spool_full = spool is not None and spool.full_warned
        influx_ok = w.influx_reachable if w is not None else False
        connected = self.session.connected
        # Spooling keeps data safe, but an unreachable InfluxDB is still something an operator must see.
        h: dict[str, Any] = {
            "healthy": self._running and connected and influx_ok and not spool_full,
            "broker_connected": connected,
            "influx_reachable": influx_ok,
            "spool_depth": spool.depth if spool else 0,
            "spool_batches": spool.entries if spool else 0,
            "spool_bytes": spool.bytes if spool else 0,
            "spool_cap_bytes": spool.max_bytes if spool else 0,
            "spool_full": spool_full,
            "written_total": w.written_total if w else 0,
            "spooled_total": w.spooled_total if w else 0,
            "influx_rejected_total": w.influx_rejected_total if w else 0,
            "write_errors_total": w.write_errors_total if w else 0,
            "inbox_depth": len(self.inbox),
            "readings_per_s": round(self._rate.per_s(), 1),
            "last_write_ms": w.last_write_ms if w else 0,
            "uptime_s": round(time.monotonic() - self._started, 1) if self._started else 0.0,
            "deadletter_count": self.deadletters.count if self.deadletters else 0,
            "registry_version": self.attribution.version if self.attribution else 0,
            "devices": len(self.attribution.snapshot.devices) if self.attribution else 0,
        }
        h.update(self.counters.as_health())
        return h
