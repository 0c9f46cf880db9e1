"""Errors the registry raises for bad input; callers show the message to the user as is.

An error may also carry ``key`` (a text of ``inventory.i18n``, shown translated on the pages), its ``params``, and
``field`` (the form field it is about), so a page can put the message beside that field in the page's language.
"""

from __future__ import annotations


class RegistryError(ValueError):
    """A request the registry cannot carry out (unknown code, duplicate, invalid value)."""

    def __init__(self, message: str, *, key: str = "", field: str = "", **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.field = field
        self.params = params


class NotFound(RegistryError):
    """The named thing does not exist."""


class Conflict(RegistryError):
    """The request clashes with the current state (duplicate, concurrent change, full slot)."""
