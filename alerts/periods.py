"""Alert periods of a room for the climate charts (``app.state.alert_periods_provider``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from alerts import messages
from alerts.models import Alert

# Rules whose periods are worth shading on a climate chart (not device or system health).
CLIMATE_RULES = ("temperature", "humidity", "swing_temperature", "swing_humidity", "mould", "smoke")


class AlertPeriods:
    """``periods(room_id, since_ms, until_ms)``: the room's climate alerts overlapping the window."""

    def __init__(self, sessions: sessionmaker[Session], language: str = "vi") -> None:
        self.sessions = sessions
        self.language = language

    def periods(self, room_id: int, since_ms: int, until_ms: int) -> list[dict[str, Any]]:
        since = datetime.fromtimestamp(since_ms / 1000, UTC)
        until = datetime.fromtimestamp(until_ms / 1000, UTC)
        with self.sessions() as s:
            rows = s.scalars(
                select(Alert)
                .where(
                    Alert.room_id == room_id,
                    Alert.rule.in_(CLIMATE_RULES),
                    Alert.started_at < until,
                    or_(Alert.resolved_at.is_(None), Alert.resolved_at > since),
                )
                .order_by(Alert.started_at)
                .limit(500)
            ).all()
        return [
            {
                "start_ms": int(a.started_at.timestamp() * 1000),
                "end_ms": int(a.resolved_at.timestamp() * 1000) if a.resolved_at else None,
                "severity": a.severity,
                "title": messages.rule_title(a.rule, self.language),
            }
            for a in rows
        ]
