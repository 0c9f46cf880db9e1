"""Sensor node firmware configs (ESPHome, Tasmota) and broker credentials generated from the registry."""
