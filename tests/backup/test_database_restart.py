"""PostgreSQL stopped for 20 s while keepers move boxes on their pages and the collector ingests:
no confirmed action is lost, the keeper is told "not saved, try again" (503, Vietnamese), never a 500,
and every reading reaches InfluxDB, attributed from the collector's cached registry (with the alert engine wired
in, as `kho collect` runs)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collector.settings import InfluxSettings
from inventory import auth
from inventory import services as sv
from inventory.db import make_engine, make_sessionmaker, session_scope
from inventory.models import BoxEvent
from kho import db as kho_db
from kho.app import create_app
from kho.settings import Settings
from kho.wiring import build_consumers

from ..collector.conftest import count_points, query
from ..conftest import let_time_pass, wait_for
from ..inventory.conftest import PASSWORD, csrf_of, login
from .conftest import SLOTS, PrivatePostgres, Readings, seed_world

OUTAGE_S = 20


class PageKeeper(threading.Thread):
    """A keeper moving their own boxes through the web pages, recording what each answer was."""

    def __init__(self, app: Any, name: str, box_ids: list[int], slot_codes: list[str]) -> None:
        super().__init__(daemon=True)
        self.client = TestClient(app, follow_redirects=False)
        self.client.__enter__()
        login(self.client, name, PASSWORD)
        self.csrf = csrf_of(self.client)
        self.name, self.box_ids, self.slots = name, box_ids, slot_codes
        self.outcomes: Counter[int] = Counter()
        self.try_again_pages: list[str] = []
        self.conflicts: list[str] = []
        self.unsure = 0  # answers "may not have been saved": the connection broke off during the transaction
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            box = self.box_ids[i % len(self.box_ids)]
            slot = self.slots[(i // len(self.box_ids)) % len(self.slots)]
            i += 1
            try:
                r = self.client.post(f"/box/{box}/move", data={"slot": slot, "csrf": self.csrf})
            except Exception as e:  # the app raised instead of answering: that is a 500 for a real keeper
                self.outcomes[500] += 1
                self.try_again_pages.append(f"{type(e).__name__}: {e}")
                continue
            self.outcomes[r.status_code] += 1
            if r.status_code == 503:
                self.try_again_pages.append(r.text)
                if "có thể CHƯA được lưu" in r.text:
                    self.unsure += 1
            elif r.status_code == 409:
                self.conflicts.append(r.text)
            time.sleep(0.02)  # a keeper's pace: moves keep coming, the database is not flooded

    def close(self) -> None:
        self.client.__exit__(None, None, None)


def test_postgres_restart_loses_no_confirmed_action(
    private_pg: PrivatePostgres, tmp_path: Path, mosquitto, influxd, influx_db_name, make_collector
) -> None:
    url = private_pg.create_database("kho")
    kho_db.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    codes = seed_world(sessions, tmp_path / "state")
    with session_scope(sessions) as s:
        for k in (1, 2):
            auth.create_user(s, f"keeper{k}", PASSWORD, "keeper", display_name=f"Thủ kho {k}")
        ids = [sv.get_box(s, c).id for c in codes]
    influx = InfluxSettings(url=influxd.url, database=influx_db_name)
    collector = make_collector(mosquitto.port, influx, sessions, state_dir=tmp_path / "collector")
    settings = Settings(
        state_dir=tmp_path / "state",
        database={"url": url},  # type: ignore[arg-type]
        web={"secret_key": "restart-test-key-0123456789"},  # type: ignore[arg-type]
    )
    app = create_app(settings)
    # as `kho collect` runs it: with the alert engine fed by the collector (it keeps its own SQL state)
    [alert_engine] = build_consumers(settings, sessions, collector.health)
    collector.add_consumer(alert_engine)
    keepers = [PageKeeper(app, "keeper1", ids[:4], SLOTS[:3]), PageKeeper(app, "keeper2", ids[4:], SLOTS[3:])]
    readings = Readings(mosquitto.port, rate_hz=100)
    try:
        readings.start()
        for k in keepers:
            k.start()
        wait_for(lambda: all(k.outcomes[303] >= 5 for k in keepers), 30, "keepers made no moves")
        private_pg.stop("immediate")
        down_at = time.monotonic()
        let_time_pass(OUTAGE_S, "the database stays down while the keepers go on")
        during = [dict(k.outcomes) for k in keepers]
        private_pg.start()
        wait_for(
            lambda: all(k.outcomes[303] >= during[i].get(303, 0) + 5 for i, k in enumerate(keepers)),
            30,
            "keepers could not move boxes after the restart",
        )
        assert time.monotonic() - down_at >= OUTAGE_S
    finally:
        for k in keepers:
            k.stop.set()
        for k in keepers:
            k.join(30)
        readings.stop()
    print(f"keepers: {[(dict(k.outcomes), k.unsure) for k in keepers]}, readings: {readings.sent}")
    try:
        # the keepers: told to try again during the outage, never a 500
        for k in keepers:
            assert k.outcomes[500] == 0, k.try_again_pages[-1:]
            assert set(k.outcomes) <= {303, 409, 503}, k.outcomes
            assert k.outcomes[503] >= 1, "the outage was not seen by the keeper"
            assert all("CHƯA được lưu" in page and "thử lại" in page for page in k.try_again_pages)
            # a move that was not saved leaves the box where it was, so a later one may target its own slot: a 409
            assert all("already in slot" in page for page in k.conflicts), k.conflicts[:1]
        # every move the keeper saw confirmed is in the database, and nothing they were told failed is
        with sessions() as s:
            for k in keepers:
                actor = s.scalar(select(BoxEvent.actor).where(BoxEvent.actor.like(f"%{k.name}%")).limit(1))
                n = s.scalar(select(func.count()).select_from(BoxEvent).where(BoxEvent.actor == actor))
                # nothing confirmed is lost; only an answer "may not have been saved" can hide a saved move
                assert k.outcomes[303] <= n <= k.outcomes[303] + k.unsure, (k.name, n, k.outcomes, k.unsure)
        # the collector went on ingesting from its cached registry: every reading written, in room K1
        assert readings.pub is not None
        readings.pub.wait_acked(readings.sent)
        wait_for(lambda: count_points(influx) >= readings.sent, 60, "readings lost during the database outage")
        assert count_points(influx) == readings.sent
        rooms = {r["room"] for r in query(influx, 'SELECT count("temperature_c") FROM "climate" GROUP BY "room"')}
        assert rooms == {"K1"}
        assert collector.health()["broker_connected"]
        assert collector.health()["consumer_errors_total"] == 0
        assert alert_engine._thread is not None and alert_engine._thread.is_alive()  # type: ignore[attr-defined]
    finally:
        alert_engine.stop()  # type: ignore[attr-defined]
        readings.close()
        for k in keepers:
            k.close()
        app.state.engine.dispose()
        engine.dispose()
