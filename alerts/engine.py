"""The alert engine: a StreamConsumer whose own thread evaluates rules and drives alert lifecycles.

``on_readings`` / ``on_status`` only enqueue (they run on the collector's thread). The engine thread
turns readings into signals through the registered rules (``alerts.rules.RULES``, asked by
``alerts.rulebook.RuleBook``), signals into
transitions (pending → firing → resolved) in SQL (``alerts.lifecycle``), and hands due notifications to
the router; a timer tick drives time-based rules (offline, system health),
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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import store
from alerts.delivery import DeliveryWorker
from alerts.lifecycle import Lifecycle
from alerts.models import Alert, AlertState, DeliveryStatus
from alerts.notifiers import Message, Notifier, build_notifiers
from alerts.routing import Router
from alerts.rulebook import RuleBook
from alerts.rules import AlertRule, Signal, build_rules
from alerts.settings import AlertSettings
from collector.reading import Reading, StatusEvent
from inventory.db import session_scope
from inventory.directory import DeviceDirectory, load_directory, registry_version

log = logging.getLogger(__name__)

Clock = Callable[[], float]


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
        rules: Sequence[AlertRule] | None = None,
    ) -> None:
        self.s = settings
        self.sessions = sessions
        self.health = health
        self.clock = clock
        self.router = Router(settings, secret, base_url)
        self.life = Lifecycle(self.router, self._now_dt)
        self.worker = DeliveryWorker(
            sessions,
            notifiers if notifiers is not None else build_notifiers(settings),
            clock=clock,
            max_attempts=settings.max_attempts,
            retry_base_s=settings.retry_base_s,
            retry_max_s=settings.retry_max_s,
            workers=settings.delivery_workers,
        )
        self.book = RuleBook(
            rules if rules is not None else build_rules(settings),
            directory_loader or self._default_loader,
            stale_after_s=settings.stale_after_s,
            now_ms=self.now_ms,
        )
        self._q: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # Readings queued and readings evaluated; each counter has a single writing thread, so no lock.
        self._fed = 0
        self._done = 0
        # Smoke-bearing readings also go here and are evaluated (smoke rule only) ahead of the climate backlog.
        self._urgent: deque[Sequence[Reading]] = deque()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._next_tick = 0.0
        self._next_checkpoint = 0.0
        self._next_dir_check = 0.0
        self._resync_pending = False
        self.errors = 0

    @property
    def rules(self) -> list[AlertRule]:
        """The rules this engine drives, in registration order."""
        return self.book.rules

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
        fields = self.book.urgent_fields
        smoky = [r for r in readings if not fields.isdisjoint(r.fields)]
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
        self.book.ctx.start_ms = self.now_ms()
        self.book.reload_directory()
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
                            signals.extend(self.book.on_readings(it, self._run_urgent))
                        finally:
                            self._done += len(it)
                    elif k == "s":
                        signals.extend(self.book.on_status(it))
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

    def _run_urgent(self) -> bool:
        """Evaluate the urgent rules (smoke) on the readings queued for them since the last look; whether any were."""
        if not self._urgent:  # a deque's truth test costs nothing: asked between every two readings
            return False
        signals: list[Signal] = []
        while self._urgent:
            readings = self._urgent.popleft()
            try:
                signals.extend(self.book.on_urgent(readings))
            except Exception:
                self.errors += 1
                log.exception("smoke rule evaluation failed")
        if signals:
            self._apply_safely(signals)
        return True

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
        life = self.life
        life.fresh.clear()
        with session_scope(self.sessions) as s:
            for sig in signals:
                kind = life.transition(s, sig)
                if kind == "fired":
                    fired.append(life.open[sig.key].id)
                elif kind == "resolved":
                    resolved = True
            if fired:
                queued = self.router.route(s, life.alerts(s, fired), self._now_dt())
                for d in queued:
                    # Claimed at birth by this process's worker: sent without another round trip.
                    d.status = DeliveryStatus.SENDING.value
                s.flush()
                claimed = [(d.id, d.channel, d.address, Message(d.subject, d.body, d.payload)) for d in queued]
        life.fresh.clear()
        if fired:
            self.worker.send_claimed(claimed)
        elif resolved:
            self.worker.kick()

    def _now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

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
        mono = time.monotonic()
        if mono >= self._next_dir_check:
            self._next_dir_check = mono + 30
            with self.sessions() as s:
                if registry_version(s) != self.book.directory.version:
                    self.book.reload_directory()
        health: dict[str, Any] | None = None
        if self.health is not None:
            try:
                health = self.health()
            except Exception:
                log.exception("collector health() failed")
                health = {}
        signals = self.book.on_tick(health)
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

    # ---- persistence ---------------------------------------------------------------------------------------

    def _checkpoint(self) -> None:
        try:
            states = self.book.states()
            with session_scope(self.sessions) as s:
                store.save_rule_states(s, states, self._now_dt())
        except Exception:
            log.exception("saving alert rule state failed")

    def _reload_open(self) -> None:
        with self.sessions() as s:
            self.life.load(store.open_alerts(s))

    def _restore(self) -> None:
        """Open alerts and rule memory from SQL, so a restart neither forgets nor re-notifies."""
        with self.sessions() as s:
            states = store.load_rule_states(s)
            rows = store.open_alerts(s)
        self.life.load(rows)
        self.book.restore(states, rows)
