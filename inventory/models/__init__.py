"""Inventory tables. Each module holds one part of the model; import them all here for Alembic."""

from inventory.models.auth import ROLE_ORDER, ApiToken, Role, User, WebSession
from inventory.models.cleaning import CleaningKind, CleaningSchedule, CleaningTask
from inventory.models.devices import Device, DeviceAssignment, RegistryVersion
from inventory.models.events import BoxEvent, EventKind, Stocktake, StocktakeScan, StocktakeState
from inventory.models.labels import LabelKind, LabelToken
from inventory.models.places import Room, Site
from inventory.models.records import Access, Box, BoxStatus, Catalogue, File, Fonds, Media, ProcessingState
from inventory.models.reshelve import ReshelveTask
from inventory.models.storage import Shelf, ShelvingUnit, Slot
from inventory.models.wall import WallLink

__all__ = [
    "ROLE_ORDER",
    "Access",
    "ApiToken",
    "Box",
    "BoxEvent",
    "BoxStatus",
    "Catalogue",
    "CleaningKind",
    "CleaningSchedule",
    "CleaningTask",
    "Device",
    "DeviceAssignment",
    "EventKind",
    "File",
    "Fonds",
    "LabelKind",
    "LabelToken",
    "Media",
    "ProcessingState",
    "RegistryVersion",
    "ReshelveTask",
    "Role",
    "Room",
    "Shelf",
    "ShelvingUnit",
    "Site",
    "Slot",
    "Stocktake",
    "StocktakeScan",
    "StocktakeState",
    "User",
    "WallLink",
    "WebSession",
]
