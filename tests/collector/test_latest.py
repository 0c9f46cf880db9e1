"""The room page's "climate now": latest values per room read back from the real influxd."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from collector.influx import InfluxClient
from collector.latest import LatestClimate
from collector.settings import InfluxSettings
from inventory import registry
from inventory.db import session_scope


def test_latest_per_room_from_influx(sqlite_sessions: sessionmaker[Session], influx_settings: InfluxSettings) -> None:
    with session_scope(sqlite_sessions) as s:
        registry.create_site(s, "HN", "Kho Hà Nội")
        p1 = registry.create_room(s, "HN", "P1", "Phòng 1").id
        p2 = registry.create_room(s, "HN", "P2", "Phòng 2").id
        p3 = registry.create_room(s, "HN", "P3", "Phòng trống").id
    now = int(time.time() * 1000)
    client = InfluxClient(influx_settings)
    client.ensure_database()
    client.write_lines(
        b"climate,site=HN,room=P1,device=a temperature_c=20.0,humidity_pct=50.0,smoke=0 %d\n"
        b"climate,site=HN,room=P1,device=a temperature_c=21.5,humidity_pct=52.0,smoke=0 %d\n"
        b"climate,site=HN,room=P2,device=b temperature_c=16.0,humidity_pct=40.0,smoke=1,smoke_level=0.4 %d\n"
        b"climate,site=XX,room=P1,device=c temperature_c=30.0 %d\n" % (now - 60_000, now - 1000, now - 2000, now)
    )
    client.close()
    provider = LatestClimate(influx_settings, sqlite_sessions)
    got = provider.latest([p1, p2, p3])
    provider.close()
    assert set(got) == {p1, p2}
    assert got[p1]["temperature_c"] == 21.5 and got[p1]["humidity_pct"] == 52.0 and got[p1]["ts_ms"] == now - 1000
    assert got[p2]["smoke"] == 1 and got[p2]["smoke_level"] == 0.4 and got[p2]["ts_ms"] == now - 2000
