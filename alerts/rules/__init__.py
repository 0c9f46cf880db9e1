"""Alert rules: each turns readings, status events or health into Signals (condition active or not).

``RULES`` is the one list of them: the engine builds, feeds, checkpoints and restores what is listed here,
in this order (which is also the order of the signals of one reading). A new rule is one module with an
``AlertRule`` subclass plus one line here.
"""

from __future__ import annotations

from alerts.rules.base import AlertRule, Context, OpenAlert, Rule, Signal
from alerts.rules.device import BatteryRule, OfflineRule
from alerts.rules.mould import MouldRule
from alerts.rules.smoke import SmokeRule
from alerts.rules.swing import SwingRule
from alerts.rules.system import SystemRule
from alerts.rules.threshold import ThresholdRule
from alerts.settings import AlertSettings

RULES: tuple[type[AlertRule], ...] = (
    OfflineRule,
    ThresholdRule,
    SwingRule,
    MouldRule,
    BatteryRule,
    SystemRule,
    SmokeRule,
)

# Every alert kind a registered rule can raise (``alerts.rule`` values; silences are checked against it).
ALERT_NAMES: tuple[str, ...] = tuple(kind for rule in RULES for kind in rule.produces)


def build_rules(settings: AlertSettings) -> list[AlertRule]:
    """One configured instance of every registered rule."""
    return [rule.from_settings(settings) for rule in RULES]


def title_of(kind: str, lang: str) -> str | None:
    """The people's name of an alert kind as its rule declares it (``titles``), if it does."""
    for rule in RULES:
        if kind in rule.titles:
            vi, en = rule.titles[kind]
            return en if lang == "en" else vi
    return None


__all__ = ["ALERT_NAMES", "RULES", "AlertRule", "Context", "OpenAlert", "Rule", "Signal", "build_rules", "title_of"]
