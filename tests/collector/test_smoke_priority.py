"""Smoke overtakes the backlog: the pre-decode guess that routes a message to the urgent queue."""

from __future__ import annotations

import pytest

from collector.service import smoke_hint


@pytest.mark.parametrize(
    ("topic", "payload", "urgent"),
    [
        ("kho/n1/telemetry", b'{"ts":1,"smoke":true,"temperature_c":20}', True),
        ("kho/n1/telemetry", b'{"ts": 1, "smoke": true}', True),
        ("kho/n1/telemetry", b'[{"seq":1,"smoke":false},{"seq":2,"smoke":1}]', True),
        ("kho/n1/telemetry", b'{"ts":1,"smoke":false,"smoke_level":0.02}', False),
        ("kho/n1/telemetry", b'{"ts":1,"temperature_c":21.0}', False),
        ("qt-e1/binary_sensor/smoke/state", b"ON", True),
        ("qt-e1/binary_sensor/smoke/state", b"OFF", False),
        ("qt-e1/sensor/temperature_c/state", b"ON", False),
    ],
)
def test_smoke_hint(topic: str, payload: bytes, urgent: bool) -> None:
    assert smoke_hint(topic, payload) is urgent
