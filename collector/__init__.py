"""Turns MQTT messages from sensor nodes into validated, room-attributed readings in InfluxDB."""
