"""Settings sections owned by the collector package."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from collector.profiles import default_topics


class MqttSettings(BaseModel):
    """Broker connection used by the collector and the simulator."""

    host: str = Field(default="127.0.0.1", description="Broker the collector and the simulator connect to.")
    port: int = Field(default=1883, description="Broker port (8883 is the usual TLS port).")
    username: str | None = Field(
        default=None, description="Broker account of the collector; none for an anonymous broker."
    )
    password: SecretStr | None = Field(default=None, description="Password of that account.")
    client_id: str = Field(
        default="kho-collector",
        description=(
            "MQTT client id: the broker keeps the persistent session under it, so each collector needs its own."
        ),
    )
    shared_group: str | None = Field(
        default=None, description="When set, subscribe with $share/<group>/... so several collectors split the stream."
    )
    keepalive_s: int = Field(
        default=30,
        description="MQTT keepalive, seconds: the broker takes the collector for gone after 1.5 × this silence.",
    )
    protocol: Literal["3.1.1", "5"] = Field(
        default="3.1.1",
        description=(
            '"3.1.1" (default: paho decodes it about twice as fast as v5) or "5". With 3.1.1 the broker\'s '
            "max_inflight_messages bounds unacknowledged messages: keep it ≥ collector.ack_every for full speed."
        ),
    )
    tls_ca: str | None = Field(
        default=None, description="CA certificate file that signs the broker's certificate; set to connect with TLS."
    )
    tls_cert: str | None = Field(
        default=None, description="Client certificate file, for brokers that authenticate clients by certificate."
    )
    tls_key: str | None = Field(default=None, description="Private key file of tls_cert.")


class InfluxSettings(BaseModel):
    """InfluxDB through its v1-compatible HTTP API (/write, /query)."""

    url: str = Field(
        default="http://127.0.0.1:8086",
        description="InfluxDB through its v1-compatible HTTP API (/write, /query): 1.x, 2.x and 3.x serve it.",
    )
    database: str = Field(
        default="kho", description="InfluxDB database (with 2.x: the database name a DBRP mapping points at a bucket)."
    )
    retention_policy: str | None = Field(
        default=None, description="Retention policy to write into; none means the database's default (raw)."
    )
    username: str | None = Field(default=None, description="InfluxDB 1.x user, when authentication is on.")
    password: SecretStr | None = Field(default=None, description="Password of that user.")
    token: SecretStr | None = Field(
        default=None, description='InfluxDB 2.x/3.x compat endpoints: "Authorization: Token <token>".'
    )
    timeout_s: float = Field(default=10.0, description="Timeout of one HTTP request to InfluxDB, seconds.")
    raw_retention: str = Field(
        default="INF",
        description=(
            'Duration of the default retention policy "raw" (InfluxQL duration, e.g. 730d); hourly means are kept '
            "forever."
        ),
    )
    manage_database: bool = Field(
        default=True,
        description=(
            "Create the database, retention policies and downsampling query at start (off for 2.x/3.x without DDL)."
        ),
    )


class CollectorSettings(BaseModel):
    """Behaviour of the ingest pipeline."""

    batch_max_lines: int = Field(default=5000, description="Most line-protocol lines in one write to InfluxDB.")
    flush_interval_s: float = Field(
        default=1.0, description="A batch is written at the latest this long after its first line, seconds."
    )
    skew_window_s: float = Field(
        default=300.0,
        description=(
            "A device timestamp is trusted only this close to the receive time (seconds); otherwise the receive time "
            "is used and the skew counted."
        ),
    )
    backfill_window_s: float = Field(
        default=7 * 86400.0,
        description=(
            "Readings in a batched array (buffered by an offline node) may be this old and keep their own time."
        ),
    )
    max_payload_bytes: int = Field(
        default=65536, description="Larger MQTT payloads are rejected (reason oversized) without decoding."
    )
    spool_max_mb: float = Field(
        default=512.0,
        description=(
            "Size cap of the disk spool that keeps batches while InfluxDB is down, MB (a warning when it fills)."
        ),
    )
    deadletter_max: int = Field(
        default=10000, description="Rejected messages kept for kho deadletter list; the oldest go first."
    )
    registry_refresh_s: float = Field(
        default=5.0, description="How often the collector checks whether the registry changed (nodes, moves), seconds."
    )
    health_host: str = Field(
        default="127.0.0.1", description="Address of the collector's own /healthz and /metrics server (kho collect)."
    )
    health_port: int = Field(default=8081, description="Port of the collector's /healthz and /metrics server.")
    topics: list[str] = Field(
        default_factory=lambda: list(default_topics()),
        description=(
            "MQTT subscriptions (prefixed with $share/<group>/ when mqtt.shared_group is set); default: every profile."
        ),
    )
    receive_maximum: int = Field(
        default=20000,
        description="MQTT v5 Receive Maximum: how many unacknowledged QoS 1 messages the broker may send us.",
    )
    ack_every: int = Field(
        default=500,
        description=(
            "Flush and acknowledge as soon as this many messages await their ack (the broker stops sending at its "
            "limit)."
        ),
    )
    consumer_backlog_max: int = Field(
        default=20000,
        description=(
            "A stream consumer (the alert engine) this many readings behind slows ingestion down to its pace, so a "
            "burst cannot grow memory without bound; after consumer_wait_max_s of waiting per chunk ingestion goes on"
            " anyway (a stuck consumer must not stop readings reaching InfluxDB). Smoke never waits."
        ),
    )
    consumer_wait_max_s: float = Field(
        default=2.0,
        description=(
            "Longest wait for a stream consumer that is consumer_backlog_max behind, per chunk of messages, seconds."
        ),
    )
