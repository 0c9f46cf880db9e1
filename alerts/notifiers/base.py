"""The notifier interface, the message every channel gets, and the error a delivery raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel

if TYPE_CHECKING:
    from typing import Self

    from alerts.settings import AlertSettings


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


class AddressError(ValueError):
    """A contact address this channel cannot deliver to; the message says why, for people."""


S = TypeVar("S", bound=BaseModel)


class Notifier(Generic[S]):
    """Base of every channel; a notifier describes itself to the registry (``alerts.notifiers.NOTIFIERS``).

    ``channel`` is the name stored with each contact and delivery; ``section`` names its part of the alert
    settings (``KHO_ALERTS__<SECTION>__…``) and ``settings_model`` its fields (``alerts.settings.AlertSettings``
    adds the section); ``address_help`` says what an address looks like.
    """

    channel: ClassVar[str] = ""
    section: ClassVar[str] = ""
    address_help: ClassVar[str] = ""
    settings_model: ClassVar[type[BaseModel]] = BaseModel

    def __init__(self, settings: S) -> None:
        self.s = settings

    @classmethod
    def settings_of(cls, settings: AlertSettings) -> S:
        """This channel's section of the alert settings."""
        return cast(S, getattr(settings, cls.section))

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Self:
        """The notifier configured from its settings section."""
        return cls(cls.settings_of(settings))

    @classmethod
    def check_address(cls, address: str, settings: AlertSettings) -> str:
        """The address as stored, or AddressError; called whenever a contact is added (one place, so a
        channel's own rules, e.g. which URLs are allowed, apply however the contact arrives)."""
        address = address.strip()
        if not address:
            raise AddressError("the address must not be empty")
        return address

    def send(self, address: str, message: Message) -> None:
        """Deliver ``message`` to ``address`` or raise NotifyError."""
        raise NotImplementedError
