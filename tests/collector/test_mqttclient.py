"""The bulk PUBLISH parser of ``DrainingClient``: byte-exact against an independent encoder and a real broker."""

from __future__ import annotations

import itertools
import threading
import uuid
from typing import Any

import paho.mqtt.client as paho
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from collector.mqttclient import DrainingClient, Publish, split_packets
from kho.localservers import ManagedServer

from .conftest import let_time_pass, wait_for


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


def publish_packet(topic: str, payload: bytes, qos: int, mid: int, retain: bool) -> bytes:
    t = topic.encode()
    body = len(t).to_bytes(2, "big") + t + (mid.to_bytes(2, "big") if qos else b"") + payload
    return bytes([0x30 | qos << 1 | int(retain)]) + _varint(len(body)) + body


def feed(stream: bytes, cuts: list[int]) -> tuple[list[Publish], list[tuple[int, bytes]]]:
    """Run ``split_packets`` the way ``loop_read`` does, over ``stream`` arriving in pieces cut at ``cuts``."""
    publishes: list[Publish] = []
    others: list[tuple[int, bytes]] = []
    buf = b""
    bounds = [0, *sorted(set(cuts)), len(stream)]
    for a, b in itertools.pairwise(bounds):
        buf += stream[a:b]
        while buf:
            got, used, other, rc = split_packets(buf)
            assert rc == 0
            buf = buf[used:]
            publishes += got
            if other is None:
                break
            others.append(other)
    assert buf == b"", "bytes left over after the whole stream"
    return publishes, others


packet_st = st.one_of(
    st.tuples(
        st.just("pub"),
        st.text(min_size=1, max_size=40),
        st.binary(max_size=20_000),
        st.integers(0, 1),
        st.integers(1, 65535),
        st.booleans(),
    ),
    st.tuples(st.just("other"), st.sampled_from([0xD0, 0x90, 0x40, 0x34]), st.binary(max_size=300)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(packet_st, max_size=30), st.lists(st.integers(0, 200_000), max_size=40))
def test_split_packets_returns_every_packet_in_order_whatever_the_read_boundaries(
    packets: list[tuple[Any, ...]],
    cuts: list[int],
) -> None:
    stream = b""
    want_pub: list[Publish] = []
    want_other: list[tuple[int, bytes]] = []
    for p in packets:
        if p[0] == "pub":
            _, topic, payload, qos, mid, retain = p
            stream += publish_packet(topic, payload, qos, mid, retain)
            want_pub.append((mid if qos else 0, topic, payload, retain, qos))
        else:  # PINGRESP, SUBACK, PUBACK, or a QoS 2 PUBLISH: all left to paho
            _, hdr, body = p
            stream += bytes([hdr]) + _varint(len(body)) + body
            want_other.append((hdr, body))
    got_pub, got_other = feed(stream, [c for c in cuts if c < len(stream)])
    assert got_pub == want_pub
    assert got_other == want_other


def test_split_packets_stops_at_another_packet_so_order_is_kept() -> None:
    a = publish_packet("kho/a/telemetry", b"1", 1, 7, False)
    ping = b"\xd0\x00"
    b = publish_packet("kho/b/telemetry", b"2", 0, 0, True)
    got, used, other, rc = split_packets(a + ping + b)
    assert (got, used, other, rc) == ([(7, "kho/a/telemetry", b"1", False, 1)], len(a) + 2, (0xD0, b""), 0)
    got, used, other, rc = split_packets(b + a[:5])
    assert got == [(0, "kho/b/telemetry", b"2", True, 0)] and used == len(b) and other is None and rc == 0


@pytest.mark.parametrize(
    "bad",
    [
        b"\x32\x01\x00",  # QoS 1 PUBLISH too short for a topic length
        b"\x32\x04\x00\x05ab",  # topic longer than the packet
        b"\x30\x80\x80\x80\x80\x01",  # remaining length of five bytes
    ],
)
def test_split_packets_reports_malformed_packets(bad: bytes) -> None:
    _, used, _, rc = split_packets(publish_packet("t", b"x", 0, 0, False) + bad)
    assert rc != 0
    assert used == len(publish_packet("t", b"x", 0, 0, False))  # the good one before it was consumed


def test_invalid_utf8_topic_does_not_raise() -> None:
    body = b"\x00\x02\xff\xfe" + b"payload"
    got, _, _, rc = split_packets(b"\x30" + _varint(len(body)) + body)
    assert rc == 0 and got[0][1] == "\ufffd\ufffd" and got[0][2] == b"payload"


class BulkSubscriber:
    """A DrainingClient in bulk mode that acks everything it gets, recording what arrived."""

    def __init__(self, port: int, client_id: str) -> None:
        self.got: list[tuple[str, bytes, int]] = []
        self.batches = 0
        self.in_batches = 0
        self.connects = 0
        self.subscribed = 0
        self.lock = threading.Lock()
        c = DrainingClient(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311, clean_session=False
        )
        c.manual_ack_set(True)
        c.on_connect = lambda cl, *a: (cl.subscribe("bulk/#", 2), setattr(self, "connects", self.connects + 1))
        c.on_subscribe = lambda *a: setattr(self, "subscribed", self.subscribed + 1)
        c.on_publish_batch = self._batch
        c.on_message = self._message  # QoS 2 takes paho's own path
        self.client = c
        c.connect("127.0.0.1", port, 30)
        c.loop_start()

    def _batch(self, batch: list[Publish]) -> None:
        with self.lock:
            self.batches += 1
            self.in_batches += len(batch)
            self.got += [(topic, payload, qos) for _, topic, payload, _, qos in batch]
        self.client.ack_many([mid for mid, _, _, _, qos in batch if qos == 1])

    def _message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self.lock:
            self.got.append((msg.topic, bytes(msg.payload), msg.qos))
        client.ack(msg.mid, msg.qos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_bulk_mode_against_mosquitto_delivers_everything_once_and_acks(mosquitto: ManagedServer) -> None:
    cid = f"bulk-{uuid.uuid4().hex[:8]}"
    sub = BulkSubscriber(mosquitto.port, cid)
    wait_for(lambda: sub.connects == 1 and sub.subscribed == 1, msg="subscriber did not connect and subscribe")
    pub = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    pub.max_inflight_messages_set(500)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", mosquitto.port, 30)
    pub.loop_start()
    sent: list[tuple[str, bytes, int]] = []
    sizes = [0, 1, 127, 128, 16_383, 16_384, 70_000, 300_000]
    for i in range(6000):
        qos = 2 if i % 500 == 3 else i % 2
        payload = (f"{i}:".encode() + bytes(range(256)) * 2000)[: sizes[i % len(sizes)] if i % 97 == 0 else 40]
        sent.append((f"bulk/{i % 13}/telemetry", payload, qos))
        pub.publish(sent[-1][0], payload, qos=qos).wait_for_publish(30) if qos == 2 else pub.publish(
            sent[-1][0], payload, qos=qos
        )
    wait_for(lambda: len(sub.got) >= len(sent), timeout_s=60, msg="not every message arrived")
    pub.disconnect()
    pub.loop_stop()
    let_time_pass(0.3, "a message delivered twice would arrive after the last one")
    with sub.lock:
        got = list(sub.got)
        batches, in_batches = sub.batches, sub.in_batches
    # one topic's QoS 1 messages keep their order; together, nothing is lost or doubled
    assert sorted(got) == sorted(sent)
    assert [m for m in got if m[0] == "bulk/5/telemetry" and m[2] == 1] == [
        m for m in sent if m[0] == "bulk/5/telemetry" and m[2] == 1
    ]
    assert sub.client._fast()
    assert in_batches == sum(1 for m in sent if m[2] < 2), "QoS 0/1 messages did not all take the bulk path"
    assert batches < in_batches / 2, "messages were not handed over in bulk"
    sub.close()
    # every QoS 1 message was acknowledged: the persistent session has nothing to redeliver
    again = BulkSubscriber(mosquitto.port, cid)
    wait_for(lambda: again.connects == 1, msg="subscriber did not reconnect")
    let_time_pass(1.0, "the broker would redeliver unacknowledged messages now")
    assert again.got == []
    again.close()
    clean = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=paho.MQTTv311, clean_session=True)
    clean.connect("127.0.0.1", mosquitto.port, 10)
    clean.disconnect()


def test_mqtt5_keeps_paho_path_drained(mosquitto: ManagedServer) -> None:
    """MQTT 5 (properties, topic aliases) is not parsed in bulk; paho's path still drains each wake-up."""
    got: list[bytes] = []
    subscribed = threading.Event()
    c = DrainingClient(CallbackAPIVersion.VERSION2, client_id=f"v5-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)
    c.on_publish_batch = lambda batch: got.extend(p for _, _, p, _, _ in batch)
    c.on_message = lambda cl, u, m: got.append(bytes(m.payload))
    c.on_connect = lambda cl, *a: cl.subscribe("v5/#", 1)
    c.on_subscribe = lambda *a: subscribed.set()
    c.connect("127.0.0.1", mosquitto.port, 30)
    c.loop_start()
    assert not c._fast()
    assert subscribed.wait(10), "MQTT 5 subscriber did not subscribe"
    pub = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    pub.connect("127.0.0.1", mosquitto.port, 30)
    pub.loop_start()
    for i in range(500):
        pub.publish("v5/t", str(i).encode(), qos=1)
    wait_for(lambda: len(got) >= 500, 30, "MQTT 5 subscriber did not get every message")
    assert sorted(int(x) for x in got) == list(range(500))
    pub.disconnect()
    pub.loop_stop()
    c.disconnect()
    c.loop_stop()
