"""Who is told what, when: first notice, repeats until acknowledged, escalation by tier, resolve notices,
silences, quiet hours (warnings only, in the alert's site time) and grouping of one site's simultaneous warnings.

The router only enqueues deliveries (rows) in the caller's transaction; the delivery worker sends them.
"""

from __future__ import annotations

import hashlib
import time as _time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from alerts import links, messages, store
from alerts.models import Alert, AlertState, Contact, Delivery, Severity, Silence
from alerts.rules.base import Rule
from alerts.settings import AlertSettings
from inventory.timezone import site_zone, zone


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """``'22:00-06:00'`` → (22:00, 06:00); empty → None. ValueError on a malformed spec."""
    spec = spec.strip()
    if not spec:
        return None
    try:
        a, b = spec.split("-")
        return time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
    except ValueError:
        raise ValueError(f"quiet hours {spec!r} must look like 22:00-06:00") from None


def in_quiet_hours(now: datetime, window: tuple[time, time] | None, tz: ZoneInfo) -> bool:
    """True when ``now`` (aware) falls in the local-time window (which may wrap midnight)."""
    if window is None:
        return False
    t = now.astimezone(tz).time()
    start, end = window
    return start <= t < end if start <= end else (t >= start or t < end)


def bypasses_delays(alert: Alert) -> bool:
    """Smoke and critical alerts are never held by quiet hours or grouping."""
    return alert.rule == Rule.SMOKE or alert.severity == Severity.CRITICAL


@dataclass(slots=True)
class _Due:
    alert: Alert
    kind: str  # fire | repeat | escalate
    seq: int
    recipients: list[Contact]
    new_tier: int


class Router:
    """Decides due notifications for firing alerts and writes them as deliveries."""

    def __init__(self, settings: AlertSettings, secret: str, base_url: str) -> None:
        self.s = settings
        self.secret = secret
        self.base_url = base_url
        self.quiet = parse_quiet_hours(settings.quiet_hours)
        self.cache_s = 1.0
        self._cache: dict[str, tuple[float, Any]] = {}

    # ---- decisions ---------------------------------------------------------------------------------------------

    def _repeat_s(self, alert: Alert) -> int:
        return self.s.repeat_critical_s if alert.severity == Severity.CRITICAL else self.s.repeat_warning_s

    def _target_tier(self, alert: Alert, tiers: list[int], now: datetime) -> int:
        fired = alert.fired_at or now
        steps = int((now - fired).total_seconds() // self.s.escalation_s) if self.s.escalation_s > 0 else 0
        return tiers[min(steps, len(tiers) - 1)]

    def due(
        self,
        alert: Alert,
        contacts: Sequence[Contact],
        silences: Sequence[Silence],
        now: datetime,
        tz: ZoneInfo | None = None,
    ) -> _Due | None:
        """What ``alert`` needs now, if anything; ``tz`` is its site's zone (quiet hours are site time)."""
        if alert.state != AlertState.FIRING or not contacts:
            return None
        if store.silenced_by(silences, alert) is not None:
            return None
        if not bypasses_delays(alert) and in_quiet_hours(now, self.quiet, tz or zone(None)):
            return None
        tiers = sorted({c.tier for c in contacts})
        target = self._target_tier(alert, tiers, now)
        if alert.notify_count == 0:
            fired = alert.fired_at or now
            if not bypasses_delays(alert) and (now - fired).total_seconds() < self.s.group_window_s:
                return None  # wait a moment so simultaneous warnings of a site go out as one message
            return _Due(alert, "fire", 1, [c for c in contacts if c.tier <= target], target)
        if target > alert.tier:
            return _Due(alert, "escalate", target, [c for c in contacts if alert.tier < c.tier <= target], target)
        last = alert.last_notified_at or alert.fired_at or now
        if (now - last).total_seconds() >= self._repeat_s(alert):
            return _Due(
                alert, "repeat", alert.notify_count + 1, [c for c in contacts if c.tier <= alert.tier], alert.tier
            )
        return None

    # ---- writing -----------------------------------------------------------------------------------------------

    def _ack_url(self, alert: Alert, contact: Contact, now: datetime) -> str:
        if not self.secret:
            return ""
        token = links.make_token(self.secret, alert.id, contact.name, now.timestamp() + self.s.ack_link_ttl_s)
        return links.ack_url(self.base_url, token)

    @staticmethod
    def _alert_payload(alert: Alert, ack_url: str) -> dict[str, object]:
        return {
            "id": alert.id,
            "rule": alert.rule,
            "severity": alert.severity,
            "state": alert.state,
            "site": alert.site,
            "room": alert.room,
            "device_id": alert.device_id,
            "value": alert.value,
            "limit": alert.limit_value,
            "started_at": alert.started_at.isoformat(),
            "fired_at": alert.fired_at.isoformat() if alert.fired_at else None,
            "ack_url": ack_url,
        }

    def route(self, session: Session, alerts: Sequence[Alert], now: datetime) -> list[Delivery]:
        """Enqueue every notification due for ``alerts``; returns the deliveries queued."""
        with session.no_autoflush:  # reads only: the caller flushes once at the end
            return self._route(session, alerts, now)

    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        # Contacts and silences change rarely (web/CLI); reading them once per second keeps smoke fast.
        hit = self._cache.get(key)
        mono = _time.monotonic()
        if hit is not None and hit[0] > mono:
            return hit[1]
        value = load()
        self._cache[key] = (mono + self.cache_s, value)
        return value

    def _route(self, session: Session, alerts: Sequence[Alert], now: datetime) -> list[Delivery]:
        silences = [
            x
            for x in self._cached("silences", lambda: store.list_silences(session, now))
            if x.starts_at <= now < x.ends_at
        ]
        by_site: dict[str, list[Contact]] = {}
        zones: dict[str, ZoneInfo] = {}
        due: list[_Due] = []
        for a in alerts:
            if a.state != AlertState.FIRING:
                continue
            if a.site not in by_site:
                by_site[a.site] = self._cached(f"contacts:{a.site}", partial(store.contacts_for, session, a.site))
                zones[a.site] = self._cached(f"zone:{a.site}", partial(site_zone, session, a.site))
            d = self.due(a, by_site[a.site], silences, now, zones[a.site])
            if d is not None:
                due.append(d)
        out: list[Delivery] = []
        grouped: dict[tuple[str, int], list[_Due]] = defaultdict(list)
        for d in due:
            if bypasses_delays(d.alert) or d.kind == "escalate":
                for c in d.recipients:
                    url = self._ack_url(d.alert, c, now)
                    subject, text = messages.render(d.alert, d.kind, now, c.language, url)
                    payload = {"kind": d.kind, "alerts": [self._alert_payload(d.alert, url)]}
                    out.append(
                        store.enqueue_delivery(
                            session,
                            f"a{d.alert.id}:{d.kind}:{d.seq}:c{c.id}",
                            d.alert.id,
                            c,
                            d.kind,
                            subject,
                            text,
                            payload,
                            now,
                        )
                    )
            else:
                for c in d.recipients:
                    grouped[(d.alert.site, c.id)].append(d)
            self._mark(session, d, now)
        contacts_by_id = {c.id: c for cs in by_site.values() for c in cs}
        for (site, cid), items in grouped.items():
            c = contacts_by_id[cid]
            urls = [self._ack_url(d.alert, c, now) for d in items]
            if len(items) == 1:
                subject, text = messages.render(items[0].alert, items[0].kind, now, c.language, urls[0])
            else:
                subject, text = messages.render_group([d.alert for d in items], site, now, c.language, urls)
            ident = ",".join(f"{d.alert.id}.{d.kind}.{d.seq}" for d in items)
            key = f"g:{hashlib.sha1(ident.encode()).hexdigest()}:c{cid}"
            payload = {
                "kind": "group" if len(items) > 1 else items[0].kind,
                "alerts": [self._alert_payload(d.alert, u) for d, u in zip(items, urls, strict=True)],
            }
            out.append(
                store.enqueue_delivery(
                    session,
                    key,
                    items[0].alert.id if len(items) == 1 else None,
                    c,
                    "group" if len(items) > 1 else items[0].kind,
                    subject,
                    text,
                    payload,
                    now,
                )
            )
        return out

    def _mark(self, session: Session, d: _Due, now: datetime) -> None:
        a = d.alert
        if d.kind == "escalate":
            store.add_event(session, a.id, "escalated", now, tier=d.new_tier, recipients=[c.name for c in d.recipients])
        else:
            a.notify_count += 1
            store.add_event(
                session,
                a.id,
                "notified" if d.kind == "fire" else "repeated",
                now,
                count=a.notify_count,
                recipients=[c.name for c in d.recipients],
            )
        a.tier = d.new_tier
        a.last_notified_at = now

    def on_resolved(self, session: Session, alert: Alert, now: datetime) -> int:
        """Tell whoever heard about ``alert`` that it is over."""
        if alert.notify_count == 0:
            return 0
        n = 0
        for c in store.contacts_for(session, alert.site):
            if c.tier > max(alert.tier, 1):
                continue
            subject, text = messages.render(alert, "resolve", now, c.language)
            payload = {"kind": "resolve", "alerts": [self._alert_payload(alert, "")]}
            store.enqueue_delivery(
                session, f"a{alert.id}:resolve:c{c.id}", alert.id, c, "resolve", subject, text, payload, now
            )
            n += 1
        alert.resolve_notified = n > 0
        return n
