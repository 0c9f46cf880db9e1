"""A realistic fleet of sensor nodes over MQTT, for the demo, the tests and the benchmarks.

Each simulated node has its own MQTT connection with a last will (``offline``, retained), announces
``online`` (retained) on every connect, and publishes in its registered profile: daily temperature/RH
cycles with noise, an optional humid spell, smoke on demand, a node dropping offline, bad payloads on demand.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from collector import profiles
from collector.profiles import Message, native
from collector.settings import MqttSettings
from inventory.directory import DeviceEntry

log = logging.getLogger(__name__)

SPELL_DELAY_S = 10.0
SPELL_RAMP_S = 60.0
SPELL_LENGTH_S = 300.0
SMOKE_LENGTH_S = 60.0


def status_message(dev: DeviceEntry, online: bool) -> Message:
    """Where and how a node announces online/offline (its last will), as its profile does."""
    return profiles.get(dev.profile).status_message(dev.topic, online)


@dataclass
class _Node:
    dev: DeviceEntry
    client: mqtt.Client
    phase: float
    base_t: float
    base_rh: float
    next_due: float = 0.0
    seq: int = 0
    offline: bool = False
    sent: int = field(default=0)


class Simulator:
    """Simulated nodes for ``devices``, each publishing ``rate_hz`` readings per second."""

    def __init__(
        self,
        mqtt_settings: MqttSettings,
        devices: Sequence[DeviceEntry],
        rate_hz: float = 1.0,
        *,
        seed: int = 1,
        bad_every: int = 0,
        smoke_at: Mapping[str, float] | None = None,
        offline: Mapping[str, float] | None = None,
        humid_spell: bool = False,
        client_prefix: str = "kho-sim",
    ) -> None:
        self.mqtt = mqtt_settings
        self.devices = list(devices)
        self.rate_hz = rate_hz
        self.rng = random.Random(seed)
        self.bad_every = bad_every
        self.smoke_at = dict(smoke_at or {})
        self.offline_at = dict(offline or {})
        self.humid_spell = humid_spell
        self.client_prefix = client_prefix
        self.published_total = 0
        self.bad_total = 0
        self._nodes: list[_Node] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    # -- fleet -----------------------------------------------------------------------------------
    def _client(self, client_id: str) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=True)
        if self.mqtt.username:
            c.username_pw_set(self.mqtt.username, self.mqtt.password.get_secret_value() if self.mqtt.password else None)
        if self.mqtt.tls_ca:
            c.tls_set(ca_certs=self.mqtt.tls_ca, certfile=self.mqtt.tls_cert, keyfile=self.mqtt.tls_key)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        c.reconnect_delay_set(1, 5)
        return c

    def start(self) -> None:
        """Connect every node (will + retained ``online``) and start publishing on a background thread."""
        self._t0 = time.monotonic()
        period = 1.0 / self.rate_hz if self.rate_hz > 0 else math.inf
        for i, dev in enumerate(self.devices):
            c = self._client(f"{self.client_prefix}-{dev.id}")
            c.will_set(*status_message(dev, False), qos=1, retain=True)

            def on_connect(
                client: mqtt.Client, ud: object, flags: object, rc: object, props: object = None, dev: DeviceEntry = dev
            ) -> None:
                # Announce on every connect, not only at boot: a broker restart must not leave us "offline".
                client.publish(*status_message(dev, True), qos=1, retain=True)

            c.on_connect = on_connect
            c.connect_async(self.mqtt.host, self.mqtt.port, self.mqtt.keepalive_s)
            c.loop_start()
            node = _Node(
                dev,
                c,
                phase=self.rng.uniform(0, 2 * math.pi),
                base_t=self.rng.uniform(19.0, 22.0),
                base_rh=self.rng.uniform(45.0, 55.0),
            )
            node.next_due = self._t0 + (i / max(1, len(self.devices))) * min(period, 5.0)
            self._nodes.append(node)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kho-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing and disconnect cleanly (a clean disconnect does not fire the will)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for n in self._nodes:
            if not n.offline:
                n.client.disconnect()
            n.client.loop_stop()
        self._nodes.clear()

    def _run(self) -> None:
        period = 1.0 / self.rate_hz if self.rate_hz > 0 else math.inf
        while not self._stop.is_set():
            now = time.monotonic()
            nxt = now + 1.0
            for n in self._nodes:
                if n.offline:
                    continue
                at = self.offline_at.get(n.dev.id)
                if at is not None and now - self._t0 >= at:
                    self._drop(n)
                    continue
                if now >= n.next_due:
                    try:
                        self._publish_node(n, now)
                    except Exception as e:  # keep simulating the other nodes
                        log.warning("simulated node %s: %s", n.dev.id, e)
                    n.next_due += period
                    if n.next_due < now:
                        n.next_due = now + period
                nxt = min(nxt, n.next_due)
            self._stop.wait(max(0.0, nxt - time.monotonic()))

    def _drop(self, n: _Node) -> None:
        """Lose the connection without DISCONNECT: the broker publishes the node's last will."""
        n.offline = True
        n.client.loop_stop()
        sock = n.client.socket()
        if sock is not None:
            sock.close()
        log.info("simulated node %s dropped offline", n.dev.id)

    # -- values ----------------------------------------------------------------------------------
    def values(self, n: _Node, wall: float, elapsed: float) -> dict[str, float]:
        """Temperature/RH following a daily cycle (warmest mid-afternoon), noise, spell and smoke."""
        hour = (wall % 86400) / 3600.0 + 7.0  # Vietnam local time drives the daily cycle
        day = math.sin(2 * math.pi * (hour - 9.0) / 24.0 + n.phase * 0.1)
        t = n.base_t + 1.5 * day + self.rng.gauss(0, 0.08)
        rh = n.base_rh - 4.0 * day + self.rng.gauss(0, 0.3)
        if self.humid_spell and elapsed >= SPELL_DELAY_S:
            k = min(1.0, (elapsed - SPELL_DELAY_S) / SPELL_RAMP_S)
            if elapsed - SPELL_DELAY_S > SPELL_LENGTH_S:
                k = max(0.0, 1.0 - (elapsed - SPELL_DELAY_S - SPELL_LENGTH_S) / SPELL_RAMP_S)
            rh += k * (76.0 - rh)
        v = {
            "temperature_c": round(t, 2),
            "humidity_pct": round(min(100.0, max(0.0, rh)), 1),
            "battery_v": round(4.1 - 0.0001 * n.seq % 0.5, 3),
        }
        if n.dev.has_smoke:
            at = self.smoke_at.get(n.dev.id)
            burning = at is not None and at <= elapsed < at + SMOKE_LENGTH_S
            v["smoke"] = 1.0 if burning else 0.0
            v["smoke_level"] = (
                round(0.65 + self.rng.uniform(0, 0.1), 3) if burning else round(abs(self.rng.gauss(0.02, 0.005)), 3)
            )
        return v

    def _publish_node(self, n: _Node, now: float) -> None:
        wall = time.time()
        n.seq += 1
        c = n.client
        profile = profiles.get(n.dev.profile)
        if self.bad_every and n.seq % self.bad_every == 0:
            c.publish(*profile.bad_message(n.dev.topic, n.seq // self.bad_every, wall), qos=1)
            self.bad_total += 1
            self.published_total += 1
            return
        v = self.values(n, wall, now - self._t0)
        for topic, payload in profile.reading_messages(n.dev.topic, v, wall, n.seq):
            c.publish(topic, payload, qos=1)
        self.published_total += 1

    # -- benchmark path ---------------------------------------------------------------------------
    def publish_burst(
        self, n: int, qos: int = 1, timeout_s: float = 600.0, progress: Callable[[int], None] | None = None
    ) -> int:
        """Publish ``n`` native readings round-robin over the native devices as fast as the broker takes them.

        Every message has a distinct (device, ts) so each lands as its own point. Returns the number the
        broker acknowledged (QoS 1) or sent (QoS 0).
        """
        natives = [d for d in self.devices if d.profile == native.PROFILE.name] or self.devices
        if not natives:
            return 0
        done = threading.Event()
        acked = [0]

        def on_publish(client: mqtt.Client, ud: object, mid: int, rc: object, props: object) -> None:
            acked[0] += 1
            if acked[0] >= n:
                done.set()

        connected = threading.Event()
        c = self._client(f"{self.client_prefix}-burst-{self.rng.randrange(1 << 30):x}")
        c.max_inflight_messages_set(0 if qos else 20)
        c.on_publish = on_publish
        c.on_connect = lambda *a, **k: connected.set()
        c.connect(self.mqtt.host, self.mqtt.port, self.mqtt.keepalive_s)
        c.loop_start()
        try:
            if not connected.wait(10):
                raise ConnectionError(f"MQTT broker {self.mqtt.host}:{self.mqtt.port} did not accept the connection")
            topics = [f"{d.topic}/telemetry" for d in natives]
            k = len(natives)
            start_ms = int(time.time() * 1000) - (n // k) - 1
            for i in range(n):
                j = i % k
                ts = start_ms + i // k
                payload = b'{"ts":%d,"seq":%d,"temperature_c":%.2f,"humidity_pct":%.1f,"battery_v":3.9}' % (
                    ts,
                    i,
                    20.0 + (i % 50) / 10.0,
                    50.0 + (i % 20) / 2.0,
                )
                c.publish(topics[j], payload, qos=qos)
                if progress is not None and i % 5000 == 0:
                    progress(i)
            if qos:
                done.wait(timeout_s)
            else:
                time.sleep(0.5)
        finally:
            c.disconnect()
            c.loop_stop()
        self.published_total += n
        return acked[0] if qos else n
