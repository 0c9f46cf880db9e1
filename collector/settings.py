"""Settings sections owned by the collector package."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from collector.profiles import default_topics


class MqttSettings(BaseModel):
    """Broker connection used by the collector and the simulator."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: SecretStr | None = None
    client_id: str = "kho-collector"
    # When set, subscribe with $share/<group>/... so several collectors split the stream.
    shared_group: str | None = None
    keepalive_s: int = 30
    # "3.1.1" (default: paho decodes it about twice as fast as v5) or "5". With 3.1.1 the broker's
    # max_inflight_messages bounds unacknowledged messages: keep it ≥ collector.ack_every for full speed.
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None


class InfluxSettings(BaseModel):
    """InfluxDB through its v1-compatible HTTP API (/write, /query)."""

    url: str = "http://127.0.0.1:8086"
    database: str = "kho"
    retention_policy: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    # InfluxDB 2.x/3.x compat endpoints: "Authorization: Token <token>".
    token: SecretStr | None = None
    timeout_s: float = 10.0
    # Duration of the default retention policy "raw" (InfluxQL duration, e.g. 730d); hourly means are kept forever.
    raw_retention: str = "INF"
    # Create the database, retention policies and downsampling query at start (off for 2.x/3.x without DDL).
    manage_database: bool = True


class CollectorSettings(BaseModel):
    """Behaviour of the ingest pipeline."""

    batch_max_lines: int = 5000
    flush_interval_s: float = 1.0
    skew_window_s: float = 300.0
    # Readings in a batched array (buffered by an offline node) may be this old and keep their own time.
    backfill_window_s: float = 7 * 86400.0
    max_payload_bytes: int = 65536
    spool_max_mb: float = 512.0
    deadletter_max: int = 10000
    registry_refresh_s: float = 5.0
    health_host: str = "127.0.0.1"
    health_port: int = 8081
    # MQTT subscriptions (prefixed with $share/<group>/ when mqtt.shared_group is set); default: every profile.
    topics: list[str] = Field(default_factory=lambda: list(default_topics()))
    # MQTT v5 Receive Maximum: how many unacknowledged QoS 1 messages the broker may send us.
    receive_maximum: int = 20000
    # Flush and acknowledge as soon as this many messages await their ack (the broker stops sending at its limit).
    ack_every: int = 500
    # A stream consumer (the alert engine) this many readings behind slows ingestion down to its pace, so a burst
    # cannot grow memory without bound; after consumer_wait_max_s of waiting per chunk ingestion goes on anyway
    # (a stuck consumer must not stop readings reaching InfluxDB). Smoke never waits.
    consumer_backlog_max: int = 20000
    consumer_wait_max_s: float = 2.0
