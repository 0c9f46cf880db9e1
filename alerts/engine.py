"""The alert engine: a StreamConsumer whose own thread evaluates rules and drives alert lifecycles.

``on_readings`` / ``on_status`` only enqueue (they run on the collector's thread). The engine thread
turns readings into rule signals, signals into transitions (pending → firing → resolved) in SQL, and
hands due notifications to the router; a timer tick drives time-based rules (offline, system health),
repeats, escalation and silences ending. All state that matters survives a restart: open alerts
(with their pending-since times) live in SQL, rule memory is checkpointed.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.delivery import DeliveryWorker
from alerts.models import Alert, AlertState, DeliveryStatus, Severity
from alerts.notifiers import Message, Notifier, build_notifiers
from alerts.routing import Router
from alerts.rules.base import Rule, Signal
from alerts.rules.device import BatteryRule, OfflineRule
from alerts.rules.mould import MouldRule
from alerts.rules.smoke import SmokeRule
from alerts.rules.swing import SwingRule
from alerts.rules.system import SystemRule
from alerts.rules.threshold import ThresholdRule
from alerts.settings import AlertSettings
from collector.reading import Reading, StatusEvent
from inventory.climate import limits_for
from inventory.db import session_scope
from inventory.directory import DeviceDirectory, RoomEntry, load_directory, registry_version

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(slots=True)
class _Open:
    id: int
    state: str
    severity: str
    started_ms: int
    crit_since_ms: int | None = None


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class AlertEngine:
    """Evaluates rules on the reading stream; see the module docstring."""

    def __init__(
        self,
        settings: AlertSettings,
        sessions: sessionmaker[Session],
        *,
        secret: str = "",
        base_url: str = "http://127.0.0.1:8080",
        health: Callable[[], dict[str, Any]] | None = None,
        clock: Clock = time.time,
        notifiers: dict[str, Notifier] | None = None,
        directory_loader: Callable[[], DeviceDirectory] | None = None,
    ) -> None:
        self.s = settings
        self.sessions = sessions
        self.health = health
        self.clock = clock
        self._load_dir = directory_loader or self._default_loader
        self.router = Router(settings, secret, base_url)
        self.worker = DeliveryWorker(
            sessions,
            notifiers if notifiers is not None else build_notifiers(settings),
            clock=clock,
            max_attempts=settings.max_attempts,
            retry_base_s=settings.retry_base_s,
            retry_max_s=settings.retry_max_s,
            workers=settings.delivery_workers,
        )
        self.threshold = ThresholdRule(
            settings.threshold_duration_s * 1000, settings.deadband_t_c, settings.deadband_rh_pct
        )
        self.smoke = SmokeRule(settings.smoke_level_deadband)
        self.swing = SwingRule(settings.deadband_t_c, settings.deadband_rh_pct)
        self.mould = MouldRule(settings.mould_warning, settings.mould_critical)
        self.offline = OfflineRule(settings.offline_factor)
        self.battery = BatteryRule(settings.battery_low_v, settings.battery_deadband_v)
        self.system = SystemRule(
            settings.system_silence_s * 1000, settings.system_duration_s * 1000, settings.spool_warning_ratio
        )
        self.open: dict[str, _Open] = {}
        self._fresh: dict[int, Alert] = {}
        self.directory = DeviceDirectory(0, {}, {}, {})
        self._q: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # Readings queued and readings evaluated; each counter has a single writing thread, so no lock.
        self._fed = 0
        self._done = 0
        # Smoke-bearing readings also go here and are evaluated (smoke rule only) ahead of the climate backlog.
        self._urgent: deque[Sequence[Reading]] = deque()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_ms = 0
        self._next_tick = 0.0
        self._next_checkpoint = 0.0
        self._next_dir_check = 0.0
        self._next_miss_reload = 0.0
        self._resync_pending = False
        self.errors = 0

    def _default_loader(self) -> DeviceDirectory:
        with self.sessions() as s:
            return load_directory(s)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # ---- StreamConsumer --------------------------------------------------------------------------------------

    def on_readings(self, readings: Sequence[Reading]) -> None:
        """Queue readings for the engine thread (never blocks, never raises)."""
        if not readings:
            return
        smoky = [r for r in readings if "smoke" in r.fields or "smoke_level" in r.fields]
        if smoky:
            self._urgent.append(smoky)
        self._fed += len(readings)
        self._q.put(("r", readings))

    def backlog(self) -> int:
        """Readings queued and not yet evaluated (0 when the engine is not running)."""
        return self._fed - self._done if self._thread is not None else 0

    def on_status(self, event: StatusEvent) -> None:
        """Queue a status event for the engine thread."""
        self._q.put(("s", event))

    # ---- life ---------------------------------------------------------------------------------------------------

    def start(self) -> AlertEngine:
        """Restore state from SQL and start the engine and delivery threads."""
        self._start_ms = self.now_ms()
        self.directory = self._load_dir()
        self._restore()
        self.worker.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kho-alerts", daemon=True)
        self._thread.start()
        # A host process that forgets stop() still gets queued work evaluated and rule memory saved.
        atexit.register(self.stop)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish queued work, checkpoint rule memory, stop the threads."""
        if self._thread is None:
            return
        atexit.unregister(self.stop)
        self.flush(timeout)
        self._stop.set()
        self._q.put(("stop", None))
        self._thread.join(timeout)
        self._thread = None
        self._checkpoint()
        self.worker.stop(timeout)

    def close(self) -> None:
        self.stop()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is evaluated and one tick has run (tests, shutdown)."""
        if self._thread is None:
            return False
        done = threading.Event()
        self._q.put(("sync", done))
        return done.wait(timeout)

    def settle(self, timeout: float = 10.0) -> bool:
        """``flush`` then wait for the delivery worker to send what is due."""
        return self.flush(timeout) and self.worker.wait_idle(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._run_urgent()
            wait = max(0.0, self._next_tick - time.monotonic())
            try:
                kind, item = self._q.get(timeout=min(wait, 0.05) if wait > 0 else 0.001)
            except queue.Empty:
                if time.monotonic() >= self._next_tick:
                    self._tick_safely()
                continue
            batch: list[tuple[str, Any]] = [(kind, item)]
            n = len(item) if kind == "r" else 1
            # Take what is already there, in chunks: transitions of a burst share one transaction, and
            # smoke gets a look-in between chunks however long the climate backlog is.
            while n < 300:
                try:
                    k, it = self._q.get_nowait()
                except queue.Empty:
                    break
                batch.append((k, it))
                n += len(it) if k == "r" else 1
            self._run_urgent()
            syncs: list[threading.Event] = []
            signals: list[Signal] = []
            for k, it in batch:
                try:
                    if k == "r":
                        try:
                            signals.extend(self._evaluate_readings(it))
                        finally:
                            self._done += len(it)
                    elif k == "s":
                        signals.extend(self.offline.on_status(it, self.now_ms(), self.directory))
                    elif k == "sync":
                        syncs.append(it)
                except Exception:
                    self.errors += 1
                    log.exception("alert rule evaluation failed")
            if signals:
                self._apply_safely(signals)
            if syncs or time.monotonic() >= self._next_tick:
                self._run_urgent()
                self._tick_safely()
            for ev in syncs:
                ev.set()

    def _run_urgent(self) -> None:
        """Evaluate the smoke rule on smoke-bearing readings queued since the last look."""
        signals: list[Signal] = []
        while self._urgent:
            readings = self._urgent.popleft()
            try:
                for r in readings:
                    room = self._room(r.room_id) or RoomEntry(
                        r.room_id, r.site, r.room, r.room, r.site, "paper", limits_for("paper")
                    )
                    signals.extend(self.smoke.on_reading(r, room))
            except Exception:
                self.errors += 1
                log.exception("smoke rule evaluation failed")
        if signals:
            self._apply_safely(signals)

    # ---- evaluation ---------------------------------------------------------------------------------------------

    def _room(self, room_id: int) -> RoomEntry | None:
        room = self.directory.rooms.get(room_id)
        if room is None and time.monotonic() >= self._next_miss_reload:
            # A room added since the last load; do not reload for every reading of an unknown one.
            self._next_miss_reload = time.monotonic() + 5.0
            self._reload_directory()
            room = self.directory.rooms.get(room_id)
        return room

    def _evaluate_readings(self, readings: Sequence[Reading]) -> list[Signal]:
        now = self.now_ms()
        stale_before = now - self.s.stale_after_s * 1000
        out: list[Signal] = []
        urgent = self._urgent
        for r in readings:
            if urgent:  # smoke arrived meanwhile: it goes first (a deque's truth test costs nothing)
                self._run_urgent()
            out.extend(self.offline.on_reading(r, now, self.directory))
            room = self._room(r.room_id)
            if room is None:  # the registry lost the room: smoke (the urgent path) still counts
                continue
            if r.ts_ms < stale_before:
                # A node replaying its buffer: history for mould/swing, but no alert about the past.
                self.mould.on_reading(r, room)
                self.swing.on_reading(r, room, now)
                continue
            out.extend(self.threshold.on_reading(r, room))
            out.extend(self.swing.on_reading(r, room, now))
            out.extend(self.mould.on_reading(r, room))
            out.extend(self.battery.on_reading(r))
        return out

    def _apply_safely(self, signals: list[Signal]) -> None:
        try:
            self._apply(signals)
        except Exception:
            self.errors += 1
            log.exception("applying alert transitions failed; resynchronising from the database")
            self._resync_safely()

    def _resync_safely(self) -> None:
        """Reload open alerts; while the database is unreachable, keep the thread alive and retry at each tick."""
        try:
            self._reload_open()
            self._resync_pending = False
        except Exception as e:
            self._resync_pending = True
            log.warning("open alerts not reloaded (database unavailable?): %s; retrying", str(e).splitlines()[0])

    def _apply(self, signals: list[Signal]) -> None:
        """Turn signals into transitions, all in one transaction; route what fired at once."""
        fired: list[int] = []
        claimed: list[tuple[int, str, str, Message]] = []
        resolved = False
        self._fresh.clear()
        with session_scope(self.sessions) as s:
            for sig in signals:
                kind = self._transition(s, sig)
                if kind == "fired":
                    fired.append(self.open[sig.key].id)
                elif kind == "resolved":
                    resolved = True
            if fired:
                # Alerts born in this transaction are in hand; others (pending → firing) are read.
                found = [self._fresh.get(i) or s.get(Alert, i) for i in fired]
                alerts = [a for a in found if a is not None]
                queued = self.router.route(s, alerts, self._now_dt())
                for d in queued:
                    # Claimed at birth by this process's worker: sent without another round trip.
                    d.status = DeliveryStatus.SENDING.value
                s.flush()
                claimed = [(d.id, d.channel, d.address, Message(d.subject, d.body, d.payload)) for d in queued]
        self._fresh.clear()
        if fired:
            self.worker.send_claimed(claimed)
        elif resolved:
            self.worker.kick()

    def _now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _transition(self, s: Session, sig: Signal) -> str | None:
        oa = self.open.get(sig.key)
        if sig.active:
            if oa is None:
                if not sig.notify:
                    return None
                immediate = sig.hold_ms <= 0
                now = self._now_dt()
                # Without a hold time the alert is born firing: one INSERT on the smoke path, not two writes.
                state = AlertState.FIRING if immediate else AlertState.PENDING
                alert = Alert(
                    open_key=sig.key,
                    rule=sig.rule,
                    severity=sig.severity,
                    state=state.value,
                    site=sig.site,
                    room=sig.room,
                    room_id=sig.room_id,
                    device_id=sig.device_id,
                    value=sig.value,
                    limit_value=sig.limit,
                    details=sig.details,
                    started_at=_dt(sig.ts_ms),
                    notify_count=0,
                    tier=0,
                    acknowledged_by="",
                    ack_comment="",
                    resolve_notified=False,
                    fired_at=now if immediate else None,
                )
                s.add(alert)
                s.flush()
                self._fresh[alert.id] = alert
                store.add_event(
                    s,
                    alert.id,
                    "fired" if immediate else "pending",
                    now if immediate else _dt(sig.ts_ms),
                    severity=sig.severity,
                    value=sig.value,
                    limit=sig.limit,
                )
                self.open[sig.key] = _Open(alert.id, state.value, sig.severity, sig.ts_ms)
                return "fired" if immediate else None
            if oa.state == AlertState.PENDING:
                if sig.severity == Severity.CRITICAL:
                    oa.severity = Severity.CRITICAL.value
                if sig.ts_ms - oa.started_ms >= sig.hold_ms:
                    now = self._now_dt()
                    s.execute(
                        update(Alert)
                        .where(Alert.id == oa.id)
                        .values(
                            state=AlertState.FIRING.value,
                            fired_at=now,
                            severity=oa.severity,
                            value=sig.value,
                            limit_value=sig.limit,
                            details=sig.details,
                        )
                    )
                    store.add_event(s, oa.id, "fired", now, severity=oa.severity, value=sig.value, limit=sig.limit)
                    oa.state = AlertState.FIRING.value
                    return "fired"
                return None
            # firing or acknowledged: a warning that turns critical (for the hold time) fires again
            if sig.severity == Severity.CRITICAL and oa.severity == Severity.WARNING:
                oa.crit_since_ms = oa.crit_since_ms or sig.ts_ms
                if sig.ts_ms - oa.crit_since_ms >= sig.hold_ms:
                    now = self._now_dt()
                    s.execute(
                        update(Alert)
                        .where(Alert.id == oa.id)
                        .values(
                            state=AlertState.FIRING.value,
                            severity=Severity.CRITICAL.value,
                            value=sig.value,
                            limit_value=sig.limit,
                            notify_count=0,
                            acknowledged_at=None,
                        )
                    )
                    store.add_event(s, oa.id, "escalated_severity", now, severity="critical", value=sig.value)
                    oa.severity = Severity.CRITICAL.value
                    oa.state = AlertState.FIRING.value
                    return "fired"
            elif sig.severity == Severity.WARNING:
                oa.crit_since_ms = None
            return None
        if oa is None:
            return None
        del self.open[sig.key]
        now = self._now_dt()
        s.execute(
            update(Alert)
            .where(Alert.id == oa.id)
            .values(state=AlertState.RESOLVED.value, open_key=None, resolved_at=now)
        )
        if oa.state == AlertState.PENDING:
            store.add_event(s, oa.id, "cancelled", _dt(sig.ts_ms), value=sig.value)
            return None
        store.add_event(s, oa.id, "resolved", now, value=sig.value)
        resolved = s.get(Alert, oa.id)
        if resolved is not None and sig.notify:
            s.refresh(resolved)
            self.router.on_resolved(s, resolved, now)
        return "resolved"

    # ---- time ------------------------------------------------------------------------------------------------

    def _tick_safely(self) -> None:
        self._next_tick = time.monotonic() + self.s.tick_s
        if self._resync_pending:
            self._resync_safely()
        try:
            self.tick()
        except Exception:
            self.errors += 1
            log.exception("alert tick failed")

    def tick(self) -> None:
        """Time-driven work: offline by silence, system health, repeats/escalation/silence ends, checkpoint."""
        now_ms = self.now_ms()
        mono = time.monotonic()
        if mono >= self._next_dir_check:
            self._next_dir_check = mono + 30
            with self.sessions() as s:
                if registry_version(s) != self.directory.version:
                    self._reload_directory()
        signals = self.offline.on_tick(now_ms, self.directory, self._start_ms)
        if self.health is not None:
            try:
                h = self.health()
            except Exception:
                log.exception("collector health() failed")
                h = {}
            signals.extend(self.system.on_tick(h, now_ms, self._start_ms, bool(self.directory.devices)))
        if signals:
            self._apply(signals)
        with session_scope(self.sessions) as s:
            firing = list(s.scalars(select(Alert).where(Alert.state == AlertState.FIRING.value)))
            queued = self.router.route(s, firing, self._now_dt()) if firing else []
        if queued:
            self.worker.kick()
        if mono >= self._next_checkpoint:
            self._next_checkpoint = mono + self.s.checkpoint_s
            self._checkpoint()

    def _reload_directory(self) -> None:
        try:
            self.directory = self._load_dir()
        except Exception:
            log.exception("loading the device directory failed")

    # ---- persistence ---------------------------------------------------------------------------------------

    def _checkpoint(self) -> None:
        try:
            with session_scope(self.sessions) as s:
                store.save_rule_states(s, {"mould": self.mould.export(), "swing": self.swing.export()}, self._now_dt())
        except Exception:
            log.exception("saving alert rule state failed")

    def _reload_open(self) -> None:
        with self.sessions() as s:
            rows = store.open_alerts(s)
        self.open = {
            a.open_key: _Open(a.id, a.state, a.severity, int(a.started_at.timestamp() * 1000))
            for a in rows
            if a.open_key
        }

    def _restore(self) -> None:
        """Open alerts and rule memory from SQL, so a restart neither forgets nor re-notifies."""
        with self.sessions() as s:
            states = store.load_rule_states(s)
            rows = store.open_alerts(s)
        self.mould.load(states.get("mould", {}))
        self.swing.load(states.get("swing", {}))
        now = self.now_ms()
        for a in rows:
            if not a.open_key:
                continue
            self.open[a.open_key] = _Open(a.id, a.state, a.severity, int(a.started_at.timestamp() * 1000))
            if a.rule in (Rule.TEMPERATURE, Rule.HUMIDITY):
                self.threshold.restore(a.rule, a.device_id, 2 if a.severity == Severity.CRITICAL else 1, 0)
            elif a.rule == Rule.SMOKE:
                self.smoke.restore(a.device_id, now)
            elif a.rule in (Rule.SWING_T, Rule.SWING_RH):
                self.swing.restore(a.rule, a.device_id)
            elif a.rule == Rule.BATTERY:
                self.battery.restore(a.device_id)
            elif a.rule == Rule.OFFLINE and a.room_id is not None:
                self.offline.restore(a.device_id, a.site, a.room, a.room_id, now)
