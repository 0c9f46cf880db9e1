"""Alert lifecycles in SQL: a signal becomes a transition (pending → firing → resolved, warning → critical).

The engine owns one Lifecycle; it knows the alerts open in this process by their key (rule, room, device)
and writes every change and its history event in the session the engine gives it, so a burst of signals
is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from alerts import store
from alerts.models import Alert, AlertState, Severity
from alerts.routing import Router
from alerts.rules import Signal


@dataclass(slots=True)
class OpenState:
    """What the engine keeps of an open alert: enough to decide a transition without reading it."""

    id: int
    state: str
    severity: str
    started_ms: int
    crit_since_ms: int | None = None


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class Lifecycle:
    """The open alerts of one engine and the transitions signals cause."""

    def __init__(self, router: Router, now: Callable[[], datetime]) -> None:
        self.router = router
        self._now = now
        self.open: dict[str, OpenState] = {}
        # Alerts born in the current transaction, by id: routed without reading them back.
        self.fresh: dict[int, Alert] = {}

    def load(self, rows: Iterable[Alert]) -> None:
        """Take the open alerts from SQL (at start, or to resynchronise after a failed transaction)."""
        self.open = {
            a.open_key: OpenState(a.id, a.state, a.severity, int(a.started_at.timestamp() * 1000))
            for a in rows
            if a.open_key
        }

    def alerts(self, s: Session, ids: Iterable[int]) -> list[Alert]:
        """The alerts ``ids``: those born in this transaction from hand, the others read."""
        found = [self.fresh.get(i) or s.get(Alert, i) for i in ids]
        return [a for a in found if a is not None]

    def transition(self, s: Session, sig: Signal) -> str | None:
        """Apply one signal in ``s``: ``"fired"`` when someone must be told now, ``"resolved"``, or None."""
        oa = self.open.get(sig.key)
        if sig.active:
            if oa is None:
                if not sig.notify:
                    return None
                immediate = sig.hold_ms <= 0
                now = self._now()
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
                self.fresh[alert.id] = alert
                store.add_event(
                    s,
                    alert.id,
                    "fired" if immediate else "pending",
                    now if immediate else _dt(sig.ts_ms),
                    severity=sig.severity,
                    value=sig.value,
                    limit=sig.limit,
                )
                self.open[sig.key] = OpenState(alert.id, state.value, sig.severity, sig.ts_ms)
                return "fired" if immediate else None
            if oa.state == AlertState.PENDING:
                if sig.severity == Severity.CRITICAL:
                    oa.severity = Severity.CRITICAL.value
                if sig.ts_ms - oa.started_ms >= sig.hold_ms:
                    now = self._now()
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
                    now = self._now()
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
        now = self._now()
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
