"""The one interface of alert rules, what a rule is told (Context) and what it tells the engine (Signal).

A rule sees every reading (``on_reading``), every status event (``on_status``) and a timer tick
(``on_tick``); it answers with Signals: a condition for (rule, room, device) is active or not. Its memory
survives a restart through ``state()`` (checkpointed JSON) and ``restore()`` (that JSON plus the alerts the
previous run left open). Every method has a default that does nothing, so a rule writes only what it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from inventory.directory import DeviceDirectory

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings
    from collector.reading import Reading, StatusEvent
    from inventory.directory import RoomEntry


class Rule:
    """Names of the built-in alert kinds, stored in ``alerts.rule`` (each rule lists its own in ``produces``;
    ``alerts.rules.ALERT_NAMES`` is the full list)."""

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


@dataclass(slots=True)
class Context:
    """What the engine knows when it asks a rule; one object, updated by the engine before each call."""

    now_ms: int = 0
    # When the engine started: a node never heard of is counted from here, not from the epoch.
    start_ms: int = 0
    directory: DeviceDirectory = field(default_factory=lambda: DeviceDirectory(0, {}, {}, {}))
    # Readings older than this are a node replaying its buffer: history, but no alert about the past.
    stale_before_ms: int = 0
    # The collector's health at this tick; None when the engine runs without a collector to ask.
    health: dict[str, Any] | None = None

    def is_stale(self, ts_ms: int) -> bool:
        return ts_ms < self.stale_before_ms


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert the previous run left open, as a rule needs it to resume where it was."""

    rule: str
    severity: str
    site: str
    room: str
    room_id: int | None
    device_id: str


class AlertRule:
    """Base of every rule: the engine calls these methods, each with this one signature.

    Class attributes: ``name`` keys the rule's checkpointed memory; ``produces`` lists the alert kinds it
    raises (its open alerts are handed back to ``restore``); a rule with ``urgent_fields`` sees only readings
    carrying one of those fields, evaluated ahead of any backlog (smoke); ``titles`` names its alert kinds
    for people, ``{kind: (vi, en)}``.
    """

    name: ClassVar[str] = ""
    produces: ClassVar[tuple[str, ...]] = ()
    urgent_fields: ClassVar[frozenset[str]] = frozenset()
    titles: ClassVar[dict[str, tuple[str, str]]] = {}

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        """The rule configured from the alert settings (a rule without settings: its plain constructor)."""
        return cls()

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        """Signals caused by one reading; ``room`` is None when the registry does not know the room."""
        return []

    def on_status(self, e: StatusEvent, ctx: Context) -> list[Signal]:
        """Signals caused by a node's status (online / last will)."""
        return []

    def on_tick(self, ctx: Context) -> list[Signal]:
        """Signals that time alone causes (silence, system health); called every ``tick_s``."""
        return []

    def state(self) -> dict[str, Any]:
        """Memory to checkpoint (JSON-serialisable); a rule that keeps none is not checkpointed."""
        return {}

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        """Resume after a restart from the last checkpoint and the rule's alerts still open."""
