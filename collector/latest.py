"""The latest climate of each room, read back from InfluxDB (for the keeper's room page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from collector.influx import InfluxClient
from collector.influx_schema import CLIMATE, ident
from collector.settings import InfluxSettings
from inventory.models import Room, Site

# Fields of ``climate`` the room page shows.
LATEST_FIELDS = ("temperature_c", "humidity_pct", "dew_point_c", "smoke", "smoke_level")


class LatestClimate:
    """``latest(room_ids)`` → per room: temperature_c, humidity_pct, dew_point_c, smoke, smoke_level, ts_ms.

    Values are the last of each field over ``max_age_s`` across the room's nodes; ``smoke`` is 1 when any node
    reported smoke in that window's last reading.
    """

    def __init__(self, influx: InfluxSettings, sessions: sessionmaker[Session], max_age_s: int = 3600) -> None:
        self.influx = influx
        self.sessions = sessions
        self.max_age_s = max_age_s
        self._client: InfluxClient | None = None

    def _rooms(self, room_ids: list[int]) -> dict[tuple[str, str], int]:
        with self.sessions() as s:
            rows = s.execute(select(Room.id, Site.code, Room.code).join(Site).where(Room.id.in_(room_ids)))
            return {(site, room): rid for rid, site, room in rows}

    def latest(self, room_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Latest values per room id (rooms without data in the window are left out)."""
        if not room_ids:
            return {}
        wanted = self._rooms(room_ids)
        if self._client is None:
            self._client = InfluxClient(self.influx)
        window = f"time > now() - {int(self.max_age_s)}s"
        where = f"FROM {ident(CLIMATE)} WHERE {window} GROUP BY {ident('site')}, {ident('room')}"
        values = self._client.query(
            "SELECT " + ", ".join(f"last({ident(f)}) AS {ident(f)}" for f in LATEST_FIELDS) + f" {where}"
        )
        # One selector alone returns the point's own time (several selectors return the window start).
        times = self._client.query(f"SELECT last({ident('temperature_c')}) {where}")
        stamp = {(s["tags"]["site"], s["tags"]["room"]): s["values"][0][0] for s in times}
        out: dict[int, dict[str, Any]] = {}
        for series in values:
            key = (series["tags"]["site"], series["tags"]["room"])
            if key not in wanted:
                continue
            row = dict(zip(series["columns"], series["values"][0], strict=True))
            row.pop("time", None)
            row["ts_ms"] = stamp.get(key)
            out[wanted[key]] = row
        return out

    def close(self) -> None:
        """Release the HTTP connection."""
        if self._client is not None:
            self._client.close()
