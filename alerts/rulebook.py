"""The registered rules as the engine drives them: who is asked what, the registry snapshot they judge by, and
their memory across restarts.

Each rule is asked only where it does something (the base class's methods do nothing and are not called): an
urgent rule (smoke) sees only the readings carrying its fields, ahead of the backlog; the others see every
reading in order, status events and timer ticks. Evaluation is pure with respect to SQL: signals come out, the
engine turns them into transitions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from alerts.models import Alert
from alerts.rules import AlertRule, Context, OpenAlert, Signal
from collector.reading import Reading, StatusEvent
from inventory.directory import DeviceDirectory, RoomEntry

log = logging.getLogger(__name__)


def _overrides(rule: AlertRule, method: str) -> bool:
    """Whether ``rule`` does something in ``method``."""
    return getattr(type(rule), method) is not getattr(AlertRule, method)


class RuleBook:
    """The rules, their shared :class:`Context` and the device directory they read."""

    def __init__(
        self,
        rules: Sequence[AlertRule],
        load_directory: Callable[[], DeviceDirectory],
        *,
        stale_after_s: float,
        now_ms: Callable[[], int],
    ) -> None:
        self.rules = list(rules)
        self._load = load_directory
        self._stale_after_ms = round(stale_after_s * 1000)
        self.now_ms = now_ms
        self.ctx = Context()
        self.urgent = [r for r in self.rules if r.urgent_fields]
        self.urgent_fields: frozenset[str] = frozenset().union(*(r.urgent_fields for r in self.urgent))
        self._reading = [r for r in self.rules if not r.urgent_fields and _overrides(r, "on_reading")]
        self._status = [r for r in self.rules if _overrides(r, "on_status")]
        self._tick = [r for r in self.rules if _overrides(r, "on_tick")]
        self._next_miss_reload = 0.0

    @property
    def directory(self) -> DeviceDirectory:
        """The registry snapshot the rules judge by."""
        return self.ctx.directory

    def reload_directory(self) -> None:
        """Take a fresh registry snapshot (the old one stays when loading fails)."""
        try:
            self.ctx.directory = self._load()
        except Exception:
            log.exception("loading the device directory failed")

    def room(self, room_id: int) -> RoomEntry | None:
        room = self.directory.rooms.get(room_id)
        if room is None and time.monotonic() >= self._next_miss_reload:
            # A room added since the last load; do not reload for every reading of an unknown one.
            self._next_miss_reload = time.monotonic() + 5.0
            self.reload_directory()
            room = self.directory.rooms.get(room_id)
        return room

    # ---- evaluation ---------------------------------------------------------------------------------------

    def on_urgent(self, readings: Sequence[Reading]) -> list[Signal]:
        """The urgent rules' signals for readings carrying their fields."""
        ctx = self.ctx
        ctx.now_ms = self.now_ms()
        out: list[Signal] = []
        for r in readings:
            room = self.room(r.room_id)
            for rule in self.urgent:
                out.extend(rule.on_reading(r, room, ctx))
        return out

    def on_readings(self, readings: Sequence[Reading], urgent_waiting: Callable[[], object]) -> list[Signal]:
        """The other rules' signals, in order; ``urgent_waiting()`` is called between readings when it is true
        (the engine evaluates smoke that arrived meanwhile there)."""
        ctx = self.ctx
        now = self.now_ms()
        out: list[Signal] = []
        rules = self._reading
        ctx.now_ms = now
        ctx.stale_before_ms = now - self._stale_after_ms
        for r in readings:
            if urgent_waiting():
                ctx.now_ms = now  # the rest of the batch is judged at the time it was taken
            room = self.room(r.room_id)
            for rule in rules:
                out.extend(rule.on_reading(r, room, ctx))
        return out

    def on_status(self, event: StatusEvent) -> list[Signal]:
        self.ctx.now_ms = self.now_ms()
        out: list[Signal] = []
        for rule in self._status:
            out.extend(rule.on_status(event, self.ctx))
        return out

    def on_tick(self, health: dict[str, Any] | None) -> list[Signal]:
        """Time-driven signals (offline by silence, system health); ``health``: the collector's, if known."""
        ctx = self.ctx
        ctx.now_ms = self.now_ms()
        ctx.health = health
        out: list[Signal] = []
        for rule in self._tick:
            out.extend(rule.on_tick(ctx))
        return out

    # ---- memory -------------------------------------------------------------------------------------------

    def states(self) -> dict[str, dict[str, Any]]:
        """What each rule with memory wants kept (checkpointed by the engine)."""
        return {r.name: r.state() for r in self.rules if _overrides(r, "state")}

    def restore(self, states: dict[str, dict[str, Any]], open_rows: Sequence[Alert]) -> None:
        """Give each rule its saved memory and the alerts of its own that are still open."""
        self.ctx.now_ms = self.now_ms()
        still_open = [
            OpenAlert(a.rule, a.severity, a.site, a.room, a.room_id, a.device_id) for a in open_rows if a.open_key
        ]
        for rule in self.rules:
            rule.restore(states.get(rule.name, {}), [o for o in still_open if o.rule in rule.produces], self.ctx)
