"""Decoders, validation, line protocol and dew point: pure functions, including hypothesis fuzzing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.decoders import Ignored, Reject, Sample, Status
from collector.dewpoint import dew_point_c
from collector.dispatch import Dispatcher
from collector.lineprotocol import escape_tag, series_prefix
from collector.validate import TimePolicy, check_values, effective_ts


@dataclass
class Dev:
    id: str
    profile: str


T_2026 = int(datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp() * 1000)
DEVICES = {"kho/n1": Dev("n1", "native"), "e1": Dev("e1", "esphome"), "t1": Dev("t1", "tasmota")}


def decode(topic: str, payload: bytes | str, max_bytes: int = 65536) -> list[object]:
    if isinstance(payload, str):
        payload = payload.encode()
    return list(Dispatcher(DEVICES, max_bytes).decode(topic, payload))


def test_native_object_and_batch() -> None:
    [s] = decode(
        "kho/n1/telemetry",
        '{"ts": 1764000000.5, "seq": 3, "temperature_c": 21.4, "humidity_pct": 48.9,'
        ' "smoke": false, "smoke_level": 0.02, "battery_v": 3.9, "rssi": -60}',
    )
    assert isinstance(s, Sample)
    assert s.ts_ms == 1764000000500 and s.seq == 3 and not s.batched
    assert s.fields == {
        "temperature_c": 21.4,
        "humidity_pct": 48.9,
        "smoke_level": 0.02,
        "battery_v": 3.9,
        "smoke": 0.0,
    }
    out = decode(
        "kho/n1/telemetry",
        '[{"ts": "2026-11-24T10:00:00Z", "temperature_c": 20},'
        ' {"ts": 1764000060, "temperature_c": "x"}, {"temperature_c": 22}]',
    )
    assert [type(o).__name__ for o in out] == ["Sample", "Reject", "Sample"]
    assert isinstance(out[0], Sample) and out[0].ts_ms == T_2026 and out[0].batched
    assert isinstance(out[1], Reject) and out[1].reason == "bad_type" and "batch element 1" in out[1].detail


def test_esphome_and_tasmota_and_status() -> None:
    [s] = decode("e1/sensor/temperature/state", "21.50")
    assert isinstance(s, Sample) and s.fields == {"temperature_c": 21.5}
    [s] = decode("e1/binary_sensor/smoke/state", "ON")
    assert isinstance(s, Sample) and s.fields == {"smoke": 1.0}
    assert isinstance(decode("e1/sensor/wifi_signal/state", "-60")[0], Ignored)
    [s] = decode(
        "tele/t1/SENSOR",
        '{"Time":"2026-11-24T10:00:00","DS18B20":{"Temperature":30},'
        '"SHT3X":{"Temperature":73.4,"Humidity":52.3,"DewPoint":12.8},"TempUnit":"F"}',
    )
    assert isinstance(s, Sample) and s.fields == {"temperature_c": 23.0, "humidity_pct": 52.3}
    assert s.ts_ms == T_2026
    [s] = decode("tele/t1/SENSOR", '{"AM2301":{"Temperature":21.0,"Humidity":60.0}}')
    assert isinstance(s, Sample) and s.ts_ms is None
    for topic, payload, online in (
        ("kho/n1/status", "offline", False),
        ("e1/status", "online", True),
        ("tele/t1/LWT", "Online", True),
    ):
        [st_] = decode(topic, payload)
        assert isinstance(st_, Status) and st_.online is online


@pytest.mark.parametrize(
    "topic,payload,reason",
    [
        ("kho/n1/telemetry", "{not json", "not_json"),
        ("kho/n1/telemetry", '{"temperature_c": NaN}', "not_finite"),
        ("kho/n1/telemetry", '{"temperature_c": 1e999}', "not_finite"),
        ("e1/sensor/temperature/state", "nan", "not_finite"),
        ("kho/n1/telemetry", '{"temperature_c": "21"}', "bad_type"),
        ("kho/n1/telemetry", '"hello"', "bad_type"),
        ("kho/n1/telemetry", '{"smoke": 2}', "bad_type"),
        ("e1/binary_sensor/smoke/state", "maybe", "bad_type"),
        ("kho/n1/telemetry", '{"seq": 1}', "empty"),
        ("kho/n1/telemetry", "[]", "empty"),
        ("kho/n1/telemetry", '{"ts": "yesterday", "temperature_c": 20}', "bad_timestamp"),
        ("kho/n1/telemetry", '{"ts": -5, "temperature_c": 20}', "bad_timestamp"),
        ("kho/zz/telemetry", '{"temperature_c": 20}', "unknown_device"),
        ("tele/zz/SENSOR", "{}", "unknown_device"),
        ("some/random/topic", "1", "unknown_topic"),
        ("e1/telemetry", '{"temperature_c": 20}', "unknown_topic"),
        ("kho/n1/status", "sleepy", "bad_status"),
    ],
)
def test_reject_reasons(topic: str, payload: str, reason: str) -> None:
    [r] = decode(topic, payload)
    assert isinstance(r, Reject), r
    assert r.reason == reason, r.detail


def test_oversized() -> None:
    [r] = decode("kho/n1/telemetry", b'{"temperature_c": 20, "pad": "' + b"x" * 200 + b'"}', max_bytes=100)
    assert isinstance(r, Reject) and r.reason == "oversized" and r.device_id == "n1"


def test_ranges() -> None:
    assert check_values(Sample("n1", {"temperature_c": 21.0, "humidity_pct": 50.0})) is None
    for fields in ({"humidity_pct": 100.5}, {"temperature_c": -41.0}, {"temperature_c": 86.0}, {"battery_v": -1.0}):
        r = check_values(Sample("n1", fields))
        assert r is not None and r.reason == "out_of_range"
    r = check_values(Sample("n1", {"temperature_c": math.nan}))
    assert r is not None and r.reason == "not_finite"


def test_skew_window() -> None:
    p = TimePolicy(skew_ms=300_000, backfill_ms=86_400_000)
    now = 1_800_000_000_000
    assert effective_ts(Sample("n1", {}, now - 10_000), now, p) == (now - 10_000, False)
    # Vietnam local time stamped as UTC: 7 h in the future → receive time.
    assert effective_ts(Sample("n1", {}, now + 7 * 3_600_000), now, p) == (now, True)
    assert effective_ts(Sample("n1", {}, now - 3_600_000), now, p) == (now, True)
    # A buffered batch may be older than the skew window.
    assert effective_ts(Sample("n1", {}, now - 3_600_000, index=2, batched=True), now, p) == (now - 3_600_000, False)
    assert effective_ts(Sample("n1", {}, None, index=2, batched=True), now, p) == (now + 2, False)


def test_dew_point_magnus() -> None:
    assert dew_point_c(20.0, 50.0) == pytest.approx(9.26, abs=0.05)
    assert dew_point_c(25.0, 80.0) == pytest.approx(21.31, abs=0.05)
    assert dew_point_c(10.0, 100.0) == pytest.approx(10.0, abs=0.01)
    assert dew_point_c(20.0, 0.0) is None


def test_line_protocol_escaping() -> None:
    assert escape_tag("Phòng 1, tầng=2\\") == "Phòng\\ 1\\,\\ tầng\\=2\\\\"
    assert (
        series_prefix("climate", {"site": "HN", "room": "P 1", "device": "n1"})
        == "climate,device=n1,room=P\\ 1,site=HN "
    )


# -- fuzzing: no input may raise, every outcome is a sample/status/ignored/reject --------------------
TOPICS = st.one_of(
    st.sampled_from(
        [
            "kho/n1/telemetry",
            "kho/n1/status",
            "e1/sensor/temperature/state",
            "e1/status",
            "e1/binary_sensor/smoke/state",
            "e1/sensor/humidity/state",
            "tele/t1/SENSOR",
            "tele/t1/LWT",
        ]
    ),
    st.text(max_size=60),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "ts",
                    "seq",
                    "temperature_c",
                    "humidity_pct",
                    "smoke",
                    "smoke_level",
                    "battery_v",
                    "Time",
                    "SHT3X",
                    "Temperature",
                    "Humidity",
                    "TempUnit",
                    "x",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def _check(outcomes: list[object]) -> None:
    assert outcomes
    for o in outcomes:
        assert isinstance(o, Sample | Status | Ignored | Reject)
        if isinstance(o, Sample):
            assert all(isinstance(v, float) and math.isfinite(v) for v in o.fields.values())
            check_values(o)
            effective_ts(o, 1_800_000_000_000, TimePolicy(300_000, 86_400_000))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(topic=TOPICS, payload=st.binary(max_size=300))
def test_fuzz_random_bytes(topic: str, payload: bytes) -> None:
    _check(decode(topic, payload, max_bytes=200))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(topic=TOPICS, doc=JSON_VALUES)
def test_fuzz_random_json(topic: str, doc: object) -> None:
    try:
        payload = orjson.dumps(doc)
    except (TypeError, orjson.JSONEncodeError):
        payload = str(doc).encode()
    _check(decode(topic, payload))


def test_urls_in_messages_hide_credentials() -> None:
    from collector.influx import safe_url

    assert safe_url("http://admin:s3cret@influx.local:8086/x") == "http://influx.local:8086/x"
    assert safe_url("http://127.0.0.1:8086") == "http://127.0.0.1:8086"


def test_simulate_option_parsing() -> None:
    import typer

    from inventory.directory import DeviceEntry
    from kho.cli.collector_cmds import _parse_at

    devs = [DeviceEntry("a", "native", "kho/a", False, 60), DeviceEntry("b", "esphome", "b", True, 60)]
    assert _parse_at(["a@5", "b"], "--offline", devs) == {"a": 5.0, "b": 30.0}
    assert _parse_at(["12"], "--smoke-at", devs) == {"b": 12.0}
    with pytest.raises(typer.Exit):
        _parse_at(["zz@3"], "--offline", devs)
