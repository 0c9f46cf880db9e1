"""What a rule tells the engine: a condition for (rule, room, device) is active or not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Rule:
    """Rule names, stored in ``alerts.rule``."""

    SMOKE = "smoke"
    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    SWING_T = "swing_temperature"
    SWING_RH = "swing_humidity"
    MOULD = "mould"
    OFFLINE = "offline"
    BATTERY = "battery"
    SYS_RECEIVING = "system_receiving"
    SYS_INFLUX = "system_influx"
    SYS_SPOOL = "system_spool"

    ALL = (
        SMOKE,
        TEMPERATURE,
        HUMIDITY,
        SWING_T,
        SWING_RH,
        MOULD,
        OFFLINE,
        BATTERY,
        SYS_RECEIVING,
        SYS_INFLUX,
        SYS_SPOOL,
    )


@dataclass(slots=True)
class Signal:
    """The state of one condition at ``ts_ms``; the engine turns signals into alert transitions.

    An active signal must hold for ``hold_ms`` (pending) before the alert fires.
    """

    rule: str
    site: str
    room: str
    room_id: int | None
    device_id: str
    active: bool
    ts_ms: int
    severity: str = "warning"
    value: float | None = None
    limit: float | None = None
    hold_ms: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    # False for replays (retained status): state changes but nobody is notified of a new alert.
    notify: bool = True

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.room_id if self.room_id is not None else '-'}|{self.device_id}"
