"""Broker isolation tests: the firmware tests' registry of nodes and MQTT clients, reused."""

from __future__ import annotations

from ..firmware.conftest import Client, clients, node_sessions, seed_nodes  # noqa: F401 (fixtures)
