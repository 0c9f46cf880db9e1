"""System health from the collector's ``health()``: not receiving, InfluxDB unreachable, spool filling."""

from __future__ import annotations

from typing import Any

from alerts.rules.base import Rule, Signal


class SystemRule:
    """Signals for the whole installation (no site or room): every active contact hears them."""

    def __init__(self, silence_ms: int, hold_ms: int, spool_ratio: float) -> None:
        self.silence_ms = silence_ms
        self.hold_ms = hold_ms
        self.spool_ratio = spool_ratio

    def _sig(
        self,
        rule: str,
        active: bool,
        now_ms: int,
        severity: str = "warning",
        value: float | None = None,
        limit: float | None = None,
        hold: int = 0,
        **details: Any,
    ) -> Signal:
        return Signal(
            rule,
            "",
            "",
            None,
            "",
            active,
            now_ms,
            severity=severity,
            value=value,
            limit=limit,
            hold_ms=hold,
            details=details,
        )

    def on_tick(self, health: dict[str, Any], now_ms: int, start_ms: int, expect_data: bool) -> list[Signal]:
        out: list[Signal] = []
        if now_ms - start_ms < self.hold_ms:
            return out  # the collector is still connecting: judge it once it had the time to
        connected = bool(health.get("broker_connected", True))
        last = max(int(health.get("last_message_ms") or 0), start_ms)
        silent = expect_data and now_ms - last > self.silence_ms
        # Without messages no smoke can be seen: critical.
        out.append(
            self._sig(
                Rule.SYS_RECEIVING,
                (not connected) or silent,
                now_ms,
                "critical",
                value=round((now_ms - last) / 1000, 1),
                limit=self.silence_ms / 1000,
                hold=self.hold_ms,
                broker_connected=connected,
            )
        )
        if "influx_reachable" in health:
            out.append(self._sig(Rule.SYS_INFLUX, not health["influx_reachable"], now_ms, hold=self.hold_ms))
        cap = health.get("spool_cap_bytes") or 0
        if cap:
            ratio = float(health.get("spool_bytes") or 0) / float(cap)
            out.append(
                self._sig(
                    Rule.SYS_SPOOL,
                    ratio > self.spool_ratio,
                    now_ms,
                    value=round(ratio * 100, 1),
                    limit=self.spool_ratio * 100,
                )
            )
        return out
