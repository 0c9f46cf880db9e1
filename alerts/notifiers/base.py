"""The notifier protocol and the message every channel gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Message:
    """Subject and text for people; ``payload`` is the structured form (webhook body)."""

    subject: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


class NotifyError(Exception):
    """A delivery failed; ``permanent`` errors (bad address, refused) are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Notifier(Protocol):
    def send(self, address: str, message: Message) -> None:
        """Deliver ``message`` to ``address`` or raise NotifyError."""
        ...
