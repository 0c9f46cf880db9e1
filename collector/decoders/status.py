"""Status / last-will topics of all profiles: ``online`` / ``offline`` (Tasmota: ``Online`` / ``Offline``)."""

from __future__ import annotations

from collector.decoders.types import BAD_STATUS, Outcome, Reject, Status


def decode_status(device_id: str, payload: bytes) -> list[Outcome]:
    """``online``/``offline`` in any case → :class:`Status`."""
    text = payload.strip().lower()
    if text == b"online":
        return [Status(device_id, True)]
    if text == b"offline":
        return [Status(device_id, False)]
    return [Reject(BAD_STATUS, f"status must be online or offline, got {payload[:20]!r}", device_id)]
