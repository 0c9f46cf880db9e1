"""Device → room attribution from a cached snapshot of the registry, refreshed when it changes."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from collector.dispatch import Dispatcher
from collector.lineprotocol import series_prefix
from inventory.directory import DeviceDirectory, DeviceEntry, Placement, load_directory, registry_version

log = logging.getLogger(__name__)


class Snapshot:
    """One registry version: the directory, a dispatcher over its topics and cached series prefixes."""

    def __init__(self, directory: DeviceDirectory, max_payload_bytes: int) -> None:
        self.directory = directory
        self.devices = directory.devices
        self.dispatcher = Dispatcher(directory.by_topic, max_payload_bytes)
        self._prefixes: dict[tuple[str, int, str], str] = {}

    def prefix(self, measurement: str, device: DeviceEntry, placement: Placement) -> str:
        """``measurement,device=…,room=…,site=… `` (escaped once, then cached)."""
        key = (device.id, placement.room_id, measurement)
        p = self._prefixes.get(key)
        if p is None:
            p = series_prefix(measurement, {"device": device.id, "room": placement.room, "site": placement.site})
            self._prefixes[key] = p
        return p


class Attribution:
    """Holds the current :class:`Snapshot`; ``refresh()`` reloads it only when ``registry_version`` moved."""

    def __init__(self, sessions: sessionmaker[Session], max_payload_bytes: int = 65536) -> None:
        self.sessions = sessions
        self.max_payload_bytes = max_payload_bytes
        self._lock = threading.Lock()
        self._last_check = 0.0
        with sessions() as s:
            self.snapshot = Snapshot(load_directory(s), max_payload_bytes)

    @property
    def version(self) -> int:
        """Registry version of the current snapshot."""
        return self.snapshot.directory.version

    def refresh(self, force: bool = False) -> bool:
        """Reload the snapshot if the registry changed (or ``force``); True when a new snapshot was loaded."""
        with self._lock:
            self._last_check = time.monotonic()
            with self.sessions() as s:
                if not force and registry_version(s) == self.version:
                    return False
                directory = load_directory(s)
            self.snapshot = Snapshot(directory, self.max_payload_bytes)
        log.info("registry version %d: %d devices", directory.version, len(directory.devices))
        return True

    def refresh_soon(self, min_interval_s: float = 1.0) -> bool:
        """Check for changes unless checked within ``min_interval_s`` (used when an unknown device shows up)."""
        if time.monotonic() - self._last_check < min_interval_s:
            return False
        try:
            return self.refresh()
        except Exception as e:  # the database may be briefly unavailable; keep the old snapshot
            log.warning("registry refresh failed: %s", e)
            return False
