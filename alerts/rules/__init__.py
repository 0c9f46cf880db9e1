"""Alert rules: each turns readings, status events or health into Signals (condition active or not)."""

from alerts.rules.base import Rule, Signal

__all__ = ["Rule", "Signal"]
