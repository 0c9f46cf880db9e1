"""Signed acknowledge links: expire after a while, work once (the use is recorded in the database)."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts import store
from alerts.models import AckToken, Alert
from inventory.secret_key import app_secret as inventory_secret

SALT = "kho-alert-ack"


class LinkError(Exception):
    """A link that is forged, expired or already used; ``reason`` is invalid|expired|used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def app_secret(secret_key: str, state_dir: Path) -> str:
    """The web app's secret: links must verify where the app checks them (one provider for both)."""
    return inventory_secret(secret_key, state_dir)


def make_token(secret: str, alert_id: int, by: str, expires_at: float) -> str:
    """A token acknowledging ``alert_id`` on behalf of ``by`` until ``expires_at`` (epoch seconds)."""
    payload = {"a": alert_id, "b": by, "e": int(expires_at), "j": secrets.token_urlsafe(12)}
    return URLSafeSerializer(secret, salt=SALT).dumps(payload)


def read_token(secret: str, token: str, now: float) -> tuple[int, str, str]:
    """(alert id, by, token id) of a valid, unexpired token; LinkError otherwise."""
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(token)
        alert_id, by, exp, jti = int(data["a"]), str(data["b"]), float(data["e"]), str(data["j"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkError("invalid") from None
    if now > exp:
        raise LinkError("expired")
    return alert_id, by, jti


def ack_url(base_url: str, token: str) -> str:
    """The link a notification carries."""
    return f"{base_url.rstrip('/')}/alerts/ack/{token}"


def use_token(session: Session, secret: str, token: str, now: datetime, comment: str = "") -> Alert:
    """Acknowledge through a link: single use (a second use raises LinkError('used'))."""
    alert_id, by, jti = read_token(secret, token, now.timestamp())
    if session.get(AckToken, jti) is not None:
        raise LinkError("used")
    store.get_alert(session, alert_id)
    session.add(AckToken(jti=jti, alert_id=alert_id, used_at=now, used_by=by))
    try:
        session.flush()
    except IntegrityError:  # the same link clicked twice at once: the other request won
        raise LinkError("used") from None
    return store.acknowledge(session, alert_id, by, comment or "link", now)
