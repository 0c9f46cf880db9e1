"""A rule the engine has never heard of: fed, checkpointed, restored and named through the one interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from alerts import messages, rules, store
from alerts.rules import AlertRule, Context, OpenAlert, Signal
from collector.reading import Reading
from inventory.directory import RoomEntry
from tests.alerts.conftest import add_webhook_contact, alerts_in, fast_settings, make_registry, reading


class DoorRule(AlertRule):
    """``door`` = 1 for longer than three readings in a row → warning."""

    name = "door"
    produces = ("door_open",)
    titles = {"door_open": ("Cửa kho mở", "Store door open")}

    def __init__(self) -> None:
        self.open_for: dict[str, int] = {}
        self.active: set[str] = set()
        self.restored: list[OpenAlert] = []

    def on_reading(self, r: Reading, room: RoomEntry | None, ctx: Context) -> list[Signal]:
        door = r.fields.get("door")
        if door is None or room is None:
            return []
        n = self.open_for[r.device_id] = self.open_for.get(r.device_id, 0) + 1 if door else 0
        if n > 3 and r.device_id not in self.active:
            self.active.add(r.device_id)
            return [Signal("door_open", r.site, r.room, r.room_id, r.device_id, True, r.ts_ms, value=n)]
        if n == 0 and r.device_id in self.active:
            self.active.discard(r.device_id)
            return [Signal("door_open", r.site, r.room, r.room_id, r.device_id, False, r.ts_ms)]
        return []

    def state(self) -> dict[str, Any]:
        return {"open_for": self.open_for}

    def restore(self, state: dict[str, Any], open_alerts: Sequence[OpenAlert], ctx: Context) -> None:
        self.open_for.update(state.get("open_for", {}))
        self.active.update(a.device_id for a in open_alerts)
        self.restored = list(open_alerts)


@pytest.fixture
def registered() -> Any:
    """DoorRule on the rule list, as its one registration line in ``alerts.rules.RULES`` would put it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rules, "RULES", (*rules.RULES, DoorRule))
        yield


def test_an_added_rule_fires_is_named_and_resumes_after_a_restart(
    registered, sqlite_sessions, clock, make_engine, webhook
) -> None:
    room = make_registry(sqlite_sessions)
    add_webhook_contact(sqlite_sessions, webhook.url, language="en")
    settings = fast_settings()
    eng = make_engine(sqlite_sessions, clock, settings)
    assert type(eng.rules[-1]) is DoorRule
    for _ in range(4):
        clock.advance(60)
        eng.on_readings([reading(room, clock.ms, "n1", door=1), reading(room, clock.ms, "s1", smoke=0)])
        assert eng.flush()
    [a] = alerts_in(sqlite_sessions, "door_open")
    assert (a.state, a.value) == ("firing", 4)
    assert eng.settle()
    [sent] = webhook.wait_for(1)
    assert sent.json()["subject"].startswith("[kho] Store door open")
    assert messages.rule_title("door_open", "vi") == "Cửa kho mở"
    eng.stop()
    with sqlite_sessions() as s:
        assert store.load_rule_states(s)["door"] == {"open_for": {"n1": 4}}

    eng2 = make_engine(sqlite_sessions, clock, settings)
    door = eng2.rules[-1]
    assert isinstance(door, DoorRule)
    assert [(o.rule, o.device_id) for o in door.restored] == [("door_open", "n1")]
    assert door.open_for == {"n1": 4}
    clock.advance(60)
    eng2.on_readings([reading(room, clock.ms, "n1", door=0), reading(room, clock.ms, "s1", smoke=0)])
    assert eng2.flush()
    [a] = alerts_in(sqlite_sessions, "door_open")
    assert a.state == "resolved"
