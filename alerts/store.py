"""Alert state in SQL: lifecycle transitions, history, rule state, contacts and silences.

Transitions are conditional UPDATEs so the engine (collector process) and the web app (acknowledging)
never overwrite each other's changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from alerts.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertState,
    Contact,
    Delivery,
    DeliveryStatus,
    RuleState,
    Silence,
)
from alerts.notifiers import AddressError, notifier_class
from alerts.settings import AlertSettings
from inventory.errors import Conflict, NotFound, RegistryError

TIER_NAMES = {1: "keeper", 2: "manager", 3: "director"}


def open_key(rule: str, room_id: int | None, device_id: str) -> str:
    """The identity of an open alert: one per (rule, room, device)."""
    return f"{rule}|{room_id if room_id is not None else '-'}|{device_id}"


def add_event(
    session: Session, alert_id: int, kind: str, at: datetime, actor: str = "system", comment: str = "", **data: Any
) -> None:
    """Append one history entry to an alert."""
    session.add(AlertEvent(alert_id=alert_id, kind=kind, at=at, actor=actor, comment=comment, data=data))


def open_alerts(session: Session) -> list[Alert]:
    """Every alert not yet resolved (pending, firing, acknowledged)."""
    return list(session.scalars(select(Alert).where(Alert.open_key.is_not(None)).order_by(Alert.id)))


def list_alerts(
    session: Session, state: str | None = None, limit: int = 200, room_id: int | None = None
) -> list[Alert]:
    """Alerts newest first; ``state`` is one state, or ``open`` for all unresolved ones."""
    stmt = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if state == "open":
        stmt = stmt.where(Alert.state.in_([s.value for s in OPEN_STATES]))
    elif state:
        try:
            stmt = stmt.where(Alert.state == AlertState(state).value)
        except ValueError:
            raise RegistryError(
                f"unknown state {state!r}: use open, {', '.join(s.value for s in AlertState)}"
            ) from None
    if room_id is not None:
        stmt = stmt.where(Alert.room_id == room_id)
    return list(session.scalars(stmt))


def get_alert(session: Session, alert_id: int) -> Alert:
    """The alert ``alert_id`` or NotFound."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


def history(session: Session, alert_id: int) -> list[AlertEvent]:
    """The alert's events, oldest first."""
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)))


def acknowledge(session: Session, alert_id: int, by: str, comment: str, at: datetime) -> Alert:
    """Acknowledge a firing alert: repeats and escalation stop. Conflict if it is not firing."""
    alert = get_alert(session, alert_id)
    if not by.strip():
        raise RegistryError("who acknowledges must be given")
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.state == AlertState.FIRING.value)
        .values(state=AlertState.ACKNOWLEDGED.value, acknowledged_at=at, acknowledged_by=by[:100], ack_comment=comment)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"alert {alert_id} is {alert.state}, only a firing alert can be acknowledged")
    add_event(session, alert_id, "acknowledged", at, actor=by[:100], comment=comment)
    session.flush()
    session.refresh(alert)
    return alert


# ---- rule state --------------------------------------------------------------------------------------------------


def load_rule_states(session: Session) -> dict[str, dict[str, Any]]:
    """Every persisted rule-state record by key."""
    return {r.key: r.data for r in session.scalars(select(RuleState))}


def save_rule_states(session: Session, states: dict[str, dict[str, Any]], at: datetime) -> None:
    """Upsert rule-state records (portable: merge by primary key)."""
    for key, data in states.items():
        session.merge(RuleState(key=key, data=data, updated_at=at))


# ---- contacts ----------------------------------------------------------------------------------------------------


def add_contact(
    session: Session,
    name: str,
    site: str,
    channel: str,
    address: str,
    tier: int = 1,
    language: str = "vi",
    *,
    settings: AlertSettings | None = None,
) -> Contact:
    """Register who hears about ``site`` (``*`` = every site and system alerts) on ``channel``; the channel's
    notifier checks the address (``settings``: the alert settings in force, defaults when not given)."""
    try:
        notifier = notifier_class(channel)
    except AddressError as e:
        raise RegistryError(str(e)) from None
    if tier not in TIER_NAMES:
        raise RegistryError("tier must be 1 (keeper), 2 (manager) or 3 (director)")
    if language not in ("vi", "en"):
        raise RegistryError("language must be vi or en")
    if not name.strip() or not address.strip():
        raise RegistryError("contact name and address must not be empty")
    try:
        address = notifier.check_address(address, settings or AlertSettings())
    except AddressError as e:
        raise RegistryError(str(e)) from None
    contact = Contact(
        name=name.strip(),
        site=site.strip() or "*",
        channel=channel,
        address=address,
        tier=tier,
        language=language,
        active=True,
    )
    session.add(contact)
    session.flush()
    return contact


def list_contacts(session: Session, site: str | None = None) -> list[Contact]:
    """Contacts (of ``site`` and of every site ``*`` when given), by site, tier, name."""
    stmt = select(Contact).order_by(Contact.site, Contact.tier, Contact.name)
    if site:
        stmt = stmt.where(or_(Contact.site == site, Contact.site == "*"))
    return list(session.scalars(stmt))


def get_contact(session: Session, ref: str | int) -> Contact:
    """A contact by id or by name."""
    contact: Contact | None
    if isinstance(ref, int) or str(ref).isdigit():
        contact = session.get(Contact, int(ref))
    else:
        contact = session.scalar(select(Contact).where(Contact.name == ref).order_by(Contact.id).limit(1))
    if contact is None:
        raise NotFound(f"no contact {ref}")
    return contact


def remove_contact(session: Session, ref: str | int) -> None:
    """Delete a contact (its past deliveries keep their address)."""
    session.delete(get_contact(session, ref))


def contacts_for(session: Session, site: str) -> list[Contact]:
    """Active contacts who hear about ``site`` ('' = a system alert: every active contact)."""
    stmt = select(Contact).where(Contact.active.is_(True)).order_by(Contact.tier, Contact.id)
    if site:
        stmt = stmt.where(or_(Contact.site == site, Contact.site == "*"))
    return list(session.scalars(stmt))


def enqueue_delivery(
    session: Session,
    key: str,
    alert_id: int | None,
    contact: Contact,
    kind: str,
    subject: str,
    text: str,
    payload: dict[str, Any],
    now: datetime,
) -> Delivery:
    """Queue one message to ``contact`` in the delivery outbox (sent and retried by the delivery worker)."""
    d = Delivery(
        dedupe_key=key[:200],
        alert_id=alert_id,
        contact_id=contact.id,
        channel=contact.channel,
        address=contact.address,
        kind=kind,
        subject=subject[:300],
        body=text,
        payload=payload,
        status=DeliveryStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(d)
    return d


# ---- silences ----------------------------------------------------------------------------------------------------


def add_silence(
    session: Session,
    ends_at: datetime,
    reason: str,
    author: str,
    *,
    site: str = "",
    room: str = "",
    rule: str = "",
    device_id: str = "",
    starts_at: datetime,
) -> Silence:
    """Mute notifications matching the scope (empty parts match anything) until ``ends_at``."""
    if ends_at <= starts_at:
        raise RegistryError("a silence must end in the future")
    if not reason.strip():
        raise RegistryError("a silence needs a reason")
    if room and not site:
        raise RegistryError("a room silence needs its site")
    s = Silence(
        site=site,
        room=room,
        rule=rule,
        device_id=device_id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        author=author,
    )
    session.add(s)
    session.flush()
    return s


def list_silences(session: Session, at: datetime, include_expired: bool = False) -> list[Silence]:
    """Silences, active ones only unless ``include_expired``."""
    if include_expired:
        return list(session.scalars(select(Silence).order_by(Silence.id.desc())))
    return list(session.scalars(select(Silence).where(Silence.ends_at > at).order_by(Silence.id)))


def end_silence(session: Session, silence_id: int, at: datetime) -> Silence:
    """End a silence now (kept for history)."""
    s = session.get(Silence, silence_id)
    if s is None:
        raise NotFound(f"no silence {silence_id}")
    if s.ends_at > at:
        s.ends_at = max(at, s.starts_at)
    return s


def silenced_by(silences: Sequence[Silence], alert: Alert) -> Silence | None:
    """The first silence covering ``alert``, if any."""
    for s in silences:
        if (
            (not s.site or s.site == alert.site)
            and (not s.room or s.room == alert.room)
            and (not s.rule or s.rule == alert.rule)
            and (not s.device_id or s.device_id == alert.device_id)
        ):
            return s
    return None
