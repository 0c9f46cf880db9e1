"""System health from the collector's ``health()``: not receiving, InfluxDB unreachable, spool filling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alerts.rules.base import AlertRule, Context, Rule, Signal

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings


class SystemRule(AlertRule):
    """Signals for the whole installation (no site or room): every active contact hears them."""

    name = "system"
    produces = (Rule.SYS_RECEIVING, Rule.SYS_INFLUX, Rule.SYS_SPOOL)

    def __init__(self, silence_ms: int, hold_ms: int, spool_ratio: float) -> None:
        self.silence_ms = silence_ms
        self.hold_ms = hold_ms
        self.spool_ratio = spool_ratio

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        return cls(settings.system_silence_s * 1000, settings.system_duration_s * 1000, settings.spool_warning_ratio)

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

    def on_tick(self, ctx: Context) -> list[Signal]:
        if ctx.health is None:
            return []  # no collector to ask (an engine run on its own)
        return self.judge(ctx.health, ctx.now_ms, ctx.start_ms, expect_data=bool(ctx.directory.devices))

    def judge(self, health: dict[str, Any], now_ms: int, start_ms: int, expect_data: bool) -> list[Signal]:
        """Signals for one health report; silence counts only when nodes are registered (``expect_data``)."""
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
