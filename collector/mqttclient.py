"""paho's Client tuned for a high-rate QoS 1 subscriber: parse PUBLISH packets in bulk, ack in bulk.

paho 2.x reads each packet in three or more ``recv`` calls (type byte, length bytes, body), builds an
``MQTTMessage`` per PUBLISH, logs it and calls ``on_message`` once per message; with a flood of small QoS 1
messages that pure-Python path was about a third of the collector's CPU. With ``on_publish_batch`` set (and
MQTT 3.1.1), ``loop_read`` here reads 64 KiB at a time, cuts every complete PUBLISH (QoS 0/1) out of the buffer
in one tight loop and hands the whole buffer's worth to the callback as one list. Every other packet (CONNACK,
SUBACK, PINGRESP, QoS 2 flows) still goes to paho's own handler, in order. MQTT 5 (topic aliases, properties)
keeps paho's path, drained per wake-up (paho handles one packet per ``select`` for a manual-ack subscriber) and
served from 64 KiB reads.

``ack()`` queues one 4-byte PUBACK per call and wakes the network thread through a socket pair each time, then
the thread sends each PUBACK with its own syscall. ``ack_many`` queues all PUBACKs of a flushed batch as one
write. Both use paho internals (``_packet_handle``, ``_loop_rc_handle``, ``_in_packet``, ``_packet_queue``);
when they are missing, paho's public methods are used instead.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.exception import MalformedPacket

log = logging.getLogger(__name__)

# (packet id, topic, payload, retain, qos) of one PUBLISH.
Publish = tuple[int, str, bytes, bool, int]
PublishBatch = Callable[[list[Publish]], None]

READ_CHUNK = 65536
# paho's own path (MQTT 5): packets handled per wake-up, bounded so our PUBACKs and keepalive get their turn.
MAX_PACKETS_PER_READ = 2000
# Bounded so writes (our PUBACKs) and keepalive still get their turn under a flood.
MAX_RECVS_PER_READ = 8
_HAS_INTERNALS = all(
    hasattr(paho.Client, a) for a in ("_packet_handle", "_packet_read", "_loop_rc_handle", "_sock_recv")
)
_HAS_QUEUE = hasattr(paho.Client, "_packet_queue")
_PUBACK = struct.Struct("!BBH")  # fixed header 0x40, remaining length 2, packet id (same in 3.1.1 and 5)


def _in_packet(command: int = 0, body: bytes = b"") -> Any:
    """paho's reader state holding one complete packet (``command`` 0: the idle state)."""
    return {
        "command": command,
        "have_remaining": 1 if command else 0,
        "remaining_count": [],
        "remaining_mult": 1,
        "remaining_length": len(body),
        "packet": bytearray(body),
        "to_process": 0,
        "pos": 0,
    }


def split_packets(buf: bytes) -> tuple[list[Publish], int, tuple[int, bytes] | None, int]:
    """Cut complete MQTT 3.1.1 packets from the start of ``buf``.

    Returns ``(publishes, used, other, rc)``: the QoS 0/1 PUBLISH packets as ``Publish`` tuples, the bytes
    consumed, and the first other packet as ``(first byte, body)`` (scanning stops after it, so the caller keeps
    stream order). ``rc`` is non-zero for a malformed packet. An incomplete packet at the end is left unconsumed.
    """
    out: list[Publish] = []
    append = out.append
    pos, n = 0, len(buf)
    while pos < n:
        hdr = buf[pos]
        i = pos + 1
        if i >= n:
            break
        b = buf[i]
        i += 1
        length = b & 127
        if b & 128:  # multi-byte remaining length (packets of 128 bytes and more)
            shift = 7
            while True:
                if i >= n:
                    return out, pos, None, 0
                b = buf[i]
                i += 1
                length |= (b & 127) << shift
                if not b & 128:
                    break
                shift += 7
                if shift > 21:
                    return out, pos, None, MQTTErrorCode.MQTT_ERR_PROTOCOL
        end = i + length
        if end > n:
            break
        qos = (hdr >> 1) & 3
        if hdr & 0xF0 != 0x30 or qos == 2:
            return out, end, (hdr, buf[i:end]), 0
        if length < 2:
            return out, pos, None, MQTTErrorCode.MQTT_ERR_PROTOCOL
        p = i + 2 + ((buf[i] << 8) | buf[i + 1])
        if qos:
            if p + 2 > end:
                return out, pos, None, MQTTErrorCode.MQTT_ERR_PROTOCOL
            append(
                (
                    (buf[p] << 8) | buf[p + 1],
                    buf[i + 2 : p].decode("utf-8", "replace"),
                    buf[p + 2 : end],
                    bool(hdr & 1),
                    1,
                )
            )
        elif p <= end:
            append((0, buf[i + 2 : p].decode("utf-8", "replace"), buf[p:end], bool(hdr & 1), 0))
        else:
            return out, pos, None, MQTTErrorCode.MQTT_ERR_PROTOCOL
        pos = end
    return out, pos, None, 0


class DrainingClient(paho.Client):
    """A paho Client that parses PUBLISH floods in bulk (``on_publish_batch``) and can ack in bulk."""

    on_publish_batch: PublishBatch | None = None
    _rpos = 0
    # Called before each read in bulk mode; False: leave the bytes in the socket for now (TCP then holds the
    # broker back, and the broker queues for us). Brokers do not reliably bound unacknowledged QoS 1 messages
    # (Mosquitto 2.0 sent tens of thousands past max_inflight_messages 1000), so the reader must.
    may_read: Callable[[], bool] | None = None
    _rbuf = b""
    _rsock: object = None

    def _fast(self) -> bool:
        """Whether ``loop_read`` parses in bulk (else it is paho's own)."""
        return (
            self.on_publish_batch is not None
            and _HAS_INTERNALS
            and self._protocol != paho.MQTTv5
            and hasattr(self, "_in_packet")
            and hasattr(self, "_msgtime_mutex")
        )

    def _sock_recv(self, bufsize: int) -> bytes:
        """paho's path: serve its 1-byte and header-sized reads from one 64 KiB ``recv`` (fewer syscalls and GIL
        hand-offs)."""
        if self._sock is not self._rsock:  # new connection: never serve bytes of the old one
            self._rsock, self._rbuf, self._rpos = self._sock, b"", 0
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(max(bufsize, READ_CHUNK))
            if len(data) <= bufsize:
                return data
            self._rbuf, self._rpos = data, 0
        end = self._rpos + bufsize
        out = self._rbuf[self._rpos : end]
        self._rpos = min(end, len(self._rbuf))
        return out

    def _drain(self) -> MQTTErrorCode:
        """paho's path, but draining the socket per wake-up: paho 2.x handles one packet per ``select`` for a
        pure QoS 1 subscriber with manual acks."""
        n = 0
        # Past the cap, still empty our buffer: select() cannot see bytes we already hold.
        while n < MAX_PACKETS_PER_READ or self._rpos < len(self._rbuf):
            n += 1
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        if not self._fast():
            return self._drain() if _HAS_INTERNALS and hasattr(self, "_in_packet") else super().loop_read(max_packets)
        handler = self.on_publish_batch
        assert handler is not None
        for _ in range(MAX_RECVS_PER_READ):
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            if self.may_read is not None and not self.may_read():
                return MQTTErrorCode.MQTT_ERR_SUCCESS
            if self._sock is not self._rsock:  # new connection: never parse bytes of the old one
                self._rsock, self._rbuf, self._rpos = self._sock, b"", 0
            try:
                data = paho.Client._sock_recv(self, READ_CHUNK)
            except BlockingIOError:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
            except OSError:
                return self._loop_rc_handle(MQTTErrorCode.MQTT_ERR_CONN_LOST)
            if not data:
                return self._loop_rc_handle(MQTTErrorCode.MQTT_ERR_CONN_LOST)
            with self._msgtime_mutex:
                self._last_bytes_received = paho.time_func()
            buf = self._rbuf + data if self._rbuf else data
            while buf:
                publishes, used, other, rc = split_packets(buf)
                buf = buf[used:]
                if publishes:
                    try:
                        handler(publishes)
                    except Exception:  # unacknowledged, so the broker delivers them again after a reconnect
                        log.exception("on_publish_batch failed")
                if not rc and other is not None:
                    rc = self._handle_other(*other)
                if rc:
                    self._rbuf = b""
                    return self._loop_rc_handle(MQTTErrorCode(rc))
                if other is None or self._sock is not self._rsock:
                    break
            self._rbuf = buf
            if len(data) < READ_CHUNK:  # the socket had no more for now
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_other(self, command: int, body: bytes) -> int:
        """Let paho handle one complete non-PUBLISH (or QoS 2) packet, as if its own reader had read it."""
        self._in_packet = _in_packet(command, body)
        try:
            rc = self._packet_handle()
        except MalformedPacket:
            rc = MQTTErrorCode.MQTT_ERR_PROTOCOL
        finally:
            self._in_packet = _in_packet()
        return int(rc)

    def ack_many(self, mids: Sequence[int]) -> None:
        """Acknowledge QoS 1 messages (manual-ack mode) with one queued write."""
        if not mids:
            return
        if not _HAS_QUEUE:
            for mid in mids:
                self.ack(mid, 1)
            return
        packet = b"".join([_PUBACK.pack(paho.PUBACK, 2, mid) for mid in mids])
        self._packet_queue(paho.PUBACK, packet, 0, 0)
