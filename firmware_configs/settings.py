"""Settings section owned by firmware_configs: what generated node configs and broker files contain."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FirmwareSettings(BaseModel):
    """Broker address as the nodes reach it, accounts, and where generated files go."""

    # Nodes are on the LAN: the broker's LAN name or address, not the collector's 127.0.0.1.
    broker_host: str = "mqtt.kho.local"
    broker_port: int = 1883
    # Directory for per-node configs (<dir>/<device>/...); empty means <state_dir>/firmware.
    firmware_dir: str = ""
    # Directory for the Mosquitto password and ACL files; empty means <state_dir>/broker.
    broker_dir: str = ""
    collector_user: str = "kho-collector"
    extra_collector_users: list[str] = Field(
        default_factory=list,
        description="More collector accounts (read-only, like collector_user): one per collector process when "
        "several share the stream, since the broker makes each client's id its user name.",
    )
    admin_user: str = "kho-admin"
