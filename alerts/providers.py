"""Read-only views of alerts for other parts of the app (the inventory room page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import messages
from alerts.models import OPEN_STATES, Alert


class OpenAlertsProvider:
    """``app.state.alerts_provider``: the open alerts of a room, as plain dicts."""

    def __init__(self, sessions: sessionmaker[Session], language: str = "vi") -> None:
        self.sessions = sessions
        self.language = language

    def open_for_room(self, room_id: int) -> list[dict[str, Any]]:
        """Keys: id, rule, severity, state, device_id, started_at, summary."""
        with self.sessions() as s:
            rows = s.scalars(
                select(Alert)
                .where(Alert.room_id == room_id, Alert.state.in_([x.value for x in OPEN_STATES]))
                .order_by(Alert.severity, Alert.id)
            ).all()
        out = []
        for a in rows:
            summary = messages.rule_title(a.rule, self.language)
            if a.value is not None:
                summary += f": {a.value:g}" + (f" ({a.limit_value:g})" if a.limit_value is not None else "")
            out.append(
                {
                    "id": a.id,
                    "rule": a.rule,
                    "severity": a.severity,
                    "state": a.state,
                    "device_id": a.device_id,
                    "started_at": a.started_at,
                    "summary": summary,
                }
            )
        return out
