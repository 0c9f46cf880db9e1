"""The collector's MQTT session: client setup, subscriptions, the hand-off to the inbox and acknowledgements.

MQTT 3.1.1 (default) keeps a persistent session with clean-session off; MQTT 5 asks for a 7-day session expiry
and a Receive Maximum. Messages are acknowledged only when the writer says their lines are durable, and only
on the connection they arrived on: a message received on an earlier connection is redelivered by the broker,
and acking its old packet id on the new connection could acknowledge a different message.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from collector.inbox import Inbox
from collector.mqttclient import DrainingClient, Publish
from collector.pipeline import Ack
from collector.settings import MqttSettings

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 86400  # MQTT 5: the broker keeps our queue this long across restarts


class MqttSession:
    """One subscriber connection feeding ``inbox``; reconnects by itself until ``stop()``."""

    def __init__(self, settings: MqttSettings, topics: list[str], inbox: Inbox, receive_maximum: int) -> None:
        self.settings = settings
        self.topics = topics
        self.inbox = inbox
        self.connected = False
        # Set once the broker acknowledged the subscriptions of the current connection.
        self.subscribed = threading.Event()
        # Whether messages are taken in; once False (stopping), arriving ones stay unacknowledged and are redelivered.
        self.accepting = True
        # The one place MQTT 5 and 3.1.1 differ: client, connect and subscribe options.
        if settings.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = max(1, min(65535, receive_maximum))
            self._client_kw: dict[str, Any] = {"protocol": paho.MQTTv5}
            self._connect_kw: dict[str, Any] = {"clean_start": False, "properties": props}
            self._qos: Any = SubscribeOptions(qos=1)
        else:  # persistent session: the broker queues for us while we are away
            self._client_kw = {"protocol": paho.MQTTv311, "clean_session": False}
            self._connect_kw = {}
            self._qos = 1
        self._gen = 0
        self._stopping = False
        self._client: DrainingClient | None = None

    def subscriptions(self) -> list[str]:
        """The topics, under ``$share/<group>/`` when several collectors split the stream."""
        g = self.settings.shared_group
        return [f"$share/{g}/{t}" if g else t for t in self.topics]

    def start(self) -> None:
        """Connect in the background (paho's network thread)."""
        m = self.settings
        c = DrainingClient(CallbackAPIVersion.VERSION2, client_id=m.client_id, **self._client_kw)
        c.manual_ack_set(True)
        if m.username:
            c.username_pw_set(m.username, m.password.get_secret_value() if m.password else None)
        if m.tls_ca:
            c.tls_set(ca_certs=m.tls_ca, certfile=m.tls_cert, keyfile=m.tls_key)
        c.reconnect_delay_set(1, 5)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message  # MQTT 5 and QoS 2
        c.on_publish_batch = self._on_publishes
        c.may_read = self.inbox.may_read
        c.connect_async(m.host, m.port, m.keepalive_s, **self._connect_kw)
        self._client = c
        c.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (the session stays at the broker) and stop the network thread."""
        self._stopping = True
        c = self._client
        if c is not None:
            time.sleep(0.05)  # let the network thread send the last PUBACKs
            c.disconnect()
            c.loop_stop()
            self._client = None

    @property
    def connections(self) -> int:
        """Successful connections so far (a reconnect, or the broker handing our id to another client, adds one)."""
        return self._gen

    def ack(self, acks: list[Ack]) -> None:
        """Send the PUBACKs of durable QoS 1 messages received on the current connection."""
        client = self._client
        if client is None:
            return
        gen = self._gen
        client.ack_many([mid for g, mid, qos in acks if g == gen and qos == 1])

    # -- paho callbacks (network thread: hand off only) -----------------------------------------
    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any = None) -> None:
        m = self.settings
        if rc.is_failure:
            self.connected = False
            log.warning("MQTT connect to %s:%s refused: %s", m.host, m.port, rc)
            return
        self._gen += 1
        self.connected = True
        self.subscribed.clear()
        client.subscribe([(t, self._qos) for t in self.subscriptions()])
        log.info(
            "MQTT connected to %s:%s (session present: %s)", m.host, m.port, getattr(flags, "session_present", "?")
        )

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int, reason_codes: Any, props: Any = None) -> None:
        self.subscribed.set()

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, rc: Any, props: Any = None) -> None:
        self.connected = False
        self.subscribed.clear()
        if not self._stopping:
            log.warning("MQTT disconnected (%s); reconnecting", rc)

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        """paho's per-message path (MQTT 5, QoS 2): the same hand-off as a bulk read of one message."""
        self._on_publishes([(msg.mid, msg.topic, bytes(msg.payload), msg.retain, msg.qos)])

    def _on_publishes(self, batch: list[Publish]) -> None:
        if self.accepting:
            self.inbox.put(self._gen, batch)
