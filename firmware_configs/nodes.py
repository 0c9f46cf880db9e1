"""Registered nodes with their current room, read from the registry for the generators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from firmware_configs.esphome import Node
from inventory.errors import NotFound
from inventory.models import Device


def _node(dev: Device) -> Node:
    cur = dev.assignments[-1] if dev.assignments else None
    return Node(
        id=dev.id,
        profile=dev.profile,
        topic=dev.topic,
        hardware=dev.hardware,
        has_smoke=dev.has_smoke,
        interval_s=dev.interval_s,
        site=cur.room.site.code if cur else "",
        room=cur.room.code if cur else "",
        meta=dict(dev.meta or {}),
    )


def load_node(session: Session, device_id: str) -> Node:
    """One node by id, or NotFound."""
    dev = session.get(Device, device_id)
    if dev is None:
        raise NotFound(f"no device {device_id}")
    return _node(dev)


def load_nodes(session: Session, site: str | None = None) -> list[Node]:
    """All nodes (of ``site`` when given), ordered by id."""
    nodes = [_node(d) for d in session.scalars(select(Device).order_by(Device.id))]
    if site is not None:
        nodes = [n for n in nodes if n.site == site]
    return nodes
