"""Errors the registry raises for bad input; callers show the message to the user as is."""


class RegistryError(ValueError):
    """A request the registry cannot carry out (unknown code, duplicate, invalid value)."""


class NotFound(RegistryError):
    """The named thing does not exist."""


class Conflict(RegistryError):
    """The request clashes with the current state (duplicate, concurrent change, full slot)."""
