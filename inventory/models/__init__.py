"""Registry tables. Each module holds one part of the physical world; import them all here for Alembic."""

from inventory.models.devices import Device, DeviceAssignment, DeviceProfile, RegistryVersion
from inventory.models.places import Room, Site

__all__ = ["Device", "DeviceAssignment", "DeviceProfile", "RegistryVersion", "Room", "Site"]
