"""What decoding yields (samples, status, ignored values, rejects) and the parsing helpers profiles share.

The profiles themselves are in ``collector.profiles``; the dispatcher is ``collector.dispatch``.
"""

from collector.decoders.types import (
    CLOCK_SKEW,
    REJECT_REASONS,
    Ignored,
    Outcome,
    Reject,
    Sample,
    Status,
)

__all__ = [
    "CLOCK_SKEW",
    "REJECT_REASONS",
    "Ignored",
    "Outcome",
    "Reject",
    "Sample",
    "Status",
]
