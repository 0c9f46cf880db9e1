"""Mosquitto accounts for the fleet: password file, ACL, per-node rotation."""
