"""Notifiers describe themselves (channel, settings section, address rules); one list holds them."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from alerts import notifiers, store
from alerts import settings as alert_settings
from alerts.notifiers import CHANNELS, NOTIFIERS, AddressError, Message, Notifier, build_notifiers, check_address
from alerts.settings import AlertSettings
from inventory.db import session_scope
from inventory.errors import RegistryError


def test_every_notifier_names_its_channel_and_a_settings_section_that_exists() -> None:
    assert CHANNELS == ("email", "webhook", "telegram", "sms")
    settings = AlertSettings()
    for n in NOTIFIERS:
        assert n.channel and n.address_help
        assert n.section in AlertSettings.model_fields, n
        assert isinstance(getattr(settings, n.section), BaseModel)
    built = build_notifiers(settings)
    assert list(built) == list(CHANNELS)
    assert all(type(built[n.channel]) is n for n in NOTIFIERS)


@pytest.mark.parametrize(
    ("channel", "address", "error"),
    [
        ("email", "lan.example.org", "is not an email address"),
        ("webhook", "ftp://hooks.example.org/x", "http(s) URL"),
        ("telegram", "   ", "must not be empty"),
        ("pigeon", "roof", "unknown channel 'pigeon': use email, webhook, telegram, sms"),
    ],
)
def test_bad_addresses_are_refused_with_the_reason(channel: str, address: str, error: str) -> None:
    with pytest.raises(AddressError, match=error.replace("(", r"\(").replace(")", r"\)")):
        check_address(channel, address, AlertSettings())


def test_good_addresses_are_stored_trimmed() -> None:
    assert check_address("email", " lan@example.org ", AlertSettings()) == "lan@example.org"
    assert check_address("webhook", "https://hooks.example.org/k", AlertSettings()) == "https://hooks.example.org/k"
    assert check_address("sms", "+84 912 345 678", AlertSettings()) == "+84 912 345 678"


class PagerSettings(BaseModel):
    """A pager gateway."""

    gateway: str = Field(default="pager.local", description="Host of the pager gateway.")


class PagerNotifier(Notifier[PagerSettings]):
    """A channel added later: its settings section and its rules for addresses come with it."""

    channel = "pager"
    section = "pager"
    address_help = "a four-digit pager number"
    settings_model = PagerSettings
    sent: list[tuple[str, str]] = []

    @classmethod
    def check_address(cls, address: str, settings: AlertSettings) -> str:
        address = super().check_address(address, settings)
        if not (address.isdigit() and len(address) == 4):
            raise AddressError(f"{address!r} is not a four-digit pager number")
        return address

    def send(self, address: str, message: Message) -> None:
        self.sent.append((address, message.subject))


def test_a_registered_notifier_is_offered_checked_and_built(sqlite_sessions, monkeypatch) -> None:
    monkeypatch.setattr(notifiers, "NOTIFIERS", (*NOTIFIERS, PagerNotifier))
    with session_scope(sqlite_sessions) as s:
        with pytest.raises(RegistryError, match="four-digit"):
            store.add_contact(s, "Lan", "*", "pager", "12ab")
        c = store.add_contact(s, "Lan", "*", "pager", " 1234 ")
        assert (c.channel, c.address) == ("pager", "1234")
    with_pager = alert_settings._with_channel_sections()  # what alerts.settings builds from the list at import
    assert "pager" in with_pager.model_fields and "pager" not in AlertSettings.model_fields
    cfg = with_pager.model_validate({"pager": {"gateway": "pager.example.org"}})
    assert PagerNotifier.settings_of(cfg).gateway == "pager.example.org"
    pager = notifiers.build_notifiers(cfg)["pager"]
    assert isinstance(pager, PagerNotifier) and pager.s.gateway == "pager.example.org"
    pager.send("1234", Message("[kho] test", ""))
    assert PagerNotifier.sent == [("1234", "[kho] test")]
    with pytest.raises(AddressError, match="use email, webhook, telegram, sms, pager"):
        notifiers.notifier_class("fax")
