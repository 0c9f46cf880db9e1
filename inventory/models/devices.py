"""Sensor nodes, the room each one is in over time, and the registry change counter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base, UTCDateTime, utcnow
from inventory.models.places import Room


class DeviceProfile(StrEnum):
    """Payload format a node speaks (docs/design.md); the collector picks its decoder by this."""

    NATIVE = "native"
    ESPHOME = "esphome"
    TASMOTA = "tasmota"


class Device(Base):
    """A sensor node. ``topic`` is the esphome topic_prefix / tasmota topic; native nodes use ``kho/<id>``."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    profile: Mapped[str] = mapped_column(String(16), default=DeviceProfile.NATIVE.value)
    topic: Mapped[str] = mapped_column(String(200), unique=True)
    # Hardware the firmware generator targets, e.g. "esp32-sht3x", "esp32-bme280+mq2".
    hardware: Mapped[str] = mapped_column(String(64), default="")
    has_smoke: Mapped[bool] = mapped_column(default=False)
    interval_s: Mapped[int] = mapped_column(Integer, default=60)
    description: Mapped[str] = mapped_column(String(200), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignments: Mapped[list[DeviceAssignment]] = relationship(
        back_populates="device", order_by="DeviceAssignment.since", cascade="all, delete-orphan"
    )


class DeviceAssignment(Base):
    """From ``since`` on, readings of ``device_id`` belong to ``room_id`` (until the next assignment)."""

    __tablename__ = "device_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100), default="system")

    device: Mapped[Device] = relationship(back_populates="assignments")
    room: Mapped[Room] = relationship()


class RegistryVersion(Base):
    """One row whose counter goes up on every device/room change, so other processes can refresh caches."""

    __tablename__ = "registry_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
