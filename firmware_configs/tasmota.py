"""Tasmota console commands that point a node at kho's broker with the topics the collector decodes."""

from __future__ import annotations

from firmware_configs.esphome import Node
from firmware_configs.settings import FirmwareSettings

# The payload profile whose nodes take the commands of this module (a name of ``inventory.profiles``).
PROFILE = "tasmota"
# Tasmota accepts TelePeriod 10..3600 s.
TELE_MIN, TELE_MAX = 10, 3600


def tasmota_commands(node: Node, settings: FirmwareSettings, password: str | None) -> str:
    """One ``Backlog`` line to paste into the node's console (Tasmota restarts to apply the MQTT settings).

    Telemetry then arrives on ``tele/<topic>/SENSOR`` and the last will on ``tele/<topic>/LWT``.
    """
    period = min(max(node.interval_s, TELE_MIN), TELE_MAX)
    cmds = [
        f"MqttHost {settings.broker_host}",
        f"MqttPort {settings.broker_port}",
        f"MqttUser {node.id}",
        f"MqttPassword {password or '<MQTT_PASSWORD>'}",
        f"MqttClient {node.id}",
        f"Topic {node.topic}",
        "FullTopic %prefix%/%topic%/",
        f"TelePeriod {period}",
        "SetOption4 0",  # results on stat/<topic>/RESULT, not per-command topics
    ]
    return "Backlog " + "; ".join(cmds)
