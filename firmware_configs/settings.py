"""Settings section owned by firmware_configs: what generated node configs and broker files contain."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FirmwareSettings(BaseModel):
    """Broker address as the nodes reach it, accounts, and where generated files go."""

    broker_host: str = Field(
        default="mqtt.kho.local",
        description="Nodes are on the LAN: the broker's LAN name or address, not the collector's 127.0.0.1.",
    )
    broker_port: int = Field(default=1883, description="Broker port written into node configs.")
    firmware_dir: str = Field(
        default="", description="Directory for per-node configs (<dir>/<device>/...); empty means <state_dir>/firmware."
    )
    broker_dir: str = Field(
        default="", description="Directory for the Mosquitto password and ACL files; empty means <state_dir>/broker."
    )
    collector_user: str = Field(
        default="kho-collector", description="Broker account of the collector (reads every node's topics)."
    )
    extra_collector_users: list[str] = Field(
        default_factory=list,
        description="More collector accounts (read-only, like collector_user): one per collector process when "
        "several share the stream, since the broker makes each client's id its user name.",
    )
    admin_user: str = Field(
        default="kho-admin", description="Broker account for administration (may publish Tasmota commands)."
    )
