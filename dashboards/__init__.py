"""Grafana dashboards and provisioning generated from the registry."""
