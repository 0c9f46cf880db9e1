"""`kho backup` under load (keepers moving boxes, readings flowing through a real collector), `kho restore`
elsewhere, and an exact comparison of what came back — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from collector.settings import InfluxSettings
from inventory.db import make_engine, make_sessionmaker
from kho.cli import app

from ..collector.conftest import count_points, query
from ..conftest import _fresh_pg_database, _sqlite_url, wait_for
from .conftest import Keepers, Readings, dump_tables, png_bytes, seed_world

BEFORE = 400  # readings written before the backup starts


@pytest.fixture
def target_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``db_url`` for the restore."""
    if db_url.startswith("sqlite"):
        (tmp_path / "dst").mkdir()
        yield _sqlite_url(tmp_path / "dst")
        return
    url, drop = _fresh_pg_database()
    try:
        yield url
    finally:
        drop()


def _env(url: str, state: Path, influxd: Any) -> dict[str, str]:
    return {
        "KHO_DATABASE__URL": url,
        "KHO_STATE_DIR": str(state),
        "KHO_INFLUX__URL": influxd.url,
        "KHO_INFLUX__DATABASE": "kho",
        "KHO_BACKUP__INFLUX_RPC": influxd.rpc_address,
    }


def _points(influx: InfluxSettings) -> set[tuple[Any, ...]]:
    return {(r["time"], r["device"], r["temperature_c"]) for r in query(influx, 'SELECT * FROM "climate"')}


def test_backup_under_load_restores_exactly(
    migrated_url: str,
    sessions: sessionmaker[Session],
    target_url: str,
    tmp_path: Path,
    mosquitto,
    make_influxd,
    make_collector,
) -> None:
    src_state, dst_state, bdir = tmp_path / "src", tmp_path / "dst-state", tmp_path / "backup"
    src_state.mkdir()
    (src_state / "secret_key").write_text("the-secret-key\n")
    scan = src_state / "archival" / "destructions" / "TH-1" / "decision.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-1.4 decision %%EOF")
    scan.chmod(0o600)
    codes = seed_world(sessions, src_state)
    src_influxd, dst_influxd = make_influxd(), make_influxd()
    src_influx = InfluxSettings(url=src_influxd.url, database="kho")
    collector = make_collector(mosquitto.port, src_influx, sessions, state_dir=src_state / "collector")

    readings = Readings(mosquitto.port)
    keepers = Keepers(sessions, codes)
    try:
        readings.start()  # the publisher exists once started; stop at once, write a known first part
        readings.stop()
        readings._stop.clear()
        readings.publish(BEFORE - readings.sent)
        wait_for(lambda: count_points(src_influx) >= BEFORE, 30, "the first readings did not reach InfluxDB")
        keepers.start()
        readings.start()
        wait_for(lambda: len(keepers.confirmed) >= 20, 30, "keepers did not move boxes")
        started = time.monotonic()
        sent_at_start = readings.sent
        res = CliRunner().invoke(app, ["backup", str(bdir)], env=_env(migrated_url, src_state, src_influxd))
        assert res.exit_code == 0, res.output
        moved = len(keepers.confirmed)
        wait_for(lambda: len(keepers.confirmed) >= moved + 5, 30, "the keepers made no moves after the backup")
    finally:
        keepers.stop()
        readings.stop()
    confirmed_before = keepers.confirmed_before(started)
    assert keepers.errors == [] or all("changed by someone else" in e for e in keepers.errors), keepers.errors[:3]
    assert readings.pub is not None
    readings.pub.wait_acked(readings.sent)
    wait_for(lambda: count_points(src_influx) >= readings.sent, 60, "readings after the backup were not written")
    collector.wait_idle(30)
    readings.close()

    manifest = json.loads((bdir / "manifest.json").read_text())
    assert manifest["database"]["kind"] == ("sqlite" if migrated_url.startswith("sqlite") else "postgresql")
    assert {"secret_key", "photos"} <= set(manifest["state"]) and manifest["influx"] == {
        "database": "kho",
        "dir": "influx",
    }
    assert all(len(m["sha256"]) == 64 for m in manifest["files"].values())
    assert (bdir.stat().st_mode & 0o777) == 0o700
    assert all((bdir / f).stat().st_mode & 0o077 == 0 for f in manifest["files"])  # files only kho can read

    res = CliRunner().invoke(app, ["restore", str(bdir)], env=_env(target_url, dst_state, dst_influxd))
    assert res.exit_code == 0, res.output

    # ---- the registry: exactly the snapshot the backup took
    src_engine, dst_engine = make_engine(migrated_url), make_engine(target_url)
    try:
        src, dst = dump_tables(src_engine), dump_tables(dst_engine)
    finally:
        src_engine.dispose()
        dst_engine.dispose()
    assert set(dst) == set(src)
    changing = {"box_events", "boxes"}
    for name in set(src) - changing:
        assert dst[name] == src[name], f"table {name} differs"
    # box events are only appended: the restored ones are exactly the source's first ones
    n = len(dst["box_events"])
    assert dst["box_events"] == src["box_events"][:n]
    restored_ids = {row[0] for row in dst["box_events"]}
    assert confirmed_before <= restored_ids, "a move confirmed before the backup started is missing"
    assert len(src["box_events"]) > n, "the keepers' moves after the backup are not in it (it was not under load)"
    # each box's place is the one its last restored event put it in (no torn copy across the two tables)
    dst_sessions = make_sessionmaker(make_engine(target_url))
    with dst_sessions() as s:
        from sqlalchemy import select

        from inventory.models import Box, BoxEvent

        for box in s.scalars(select(Box)):
            last = s.scalars(
                select(BoxEvent)
                .where(BoxEvent.box_id == box.id, BoxEvent.to_slot_id.is_not(None))
                .order_by(BoxEvent.id.desc())
                .limit(1)
            ).first()
            assert last is not None and box.current_slot_id == last.to_slot_id, box.code
        assert s.scalar(select(Box).where(Box.code == codes[0])).condition == "water"
    dst_sessions.kw["bind"].dispose()

    # ---- files
    assert (dst_state / "secret_key").read_text() == "the-secret-key\n"
    photos = sorted((dst_state / "photos").rglob("*.png"))
    assert len(photos) == 1 and photos[0].read_bytes() == png_bytes()
    restored_scan = dst_state / "archival" / "destructions" / "TH-1" / "decision.pdf"
    assert restored_scan.read_bytes() == b"%PDF-1.4 decision %%EOF" and restored_scan.stat().st_mode & 0o077 == 0
    assert photos[0].stat().st_mode & 0o077 == 0 and (dst_state / "secret_key").stat().st_mode & 0o077 == 0

    # ---- readings: every one written before the backup, nothing that was not in the source
    dst_influx = InfluxSettings(url=dst_influxd.url, database="kho")
    src_points, dst_points = _points(src_influx), _points(dst_influx)
    assert len(src_points) == readings.sent
    assert dst_points <= src_points
    first = set(sorted(src_points)[:BEFORE])  # timestamps are unique and increase with each reading sent
    assert len(first) == BEFORE and first <= dst_points
    assert BEFORE <= len(dst_points) <= readings.sent
    assert len(dst_points) >= BEFORE + 1 or sent_at_start == BEFORE  # readings flowing during the backup


def _out(res: Any) -> str:
    return " ".join(res.output.split())  # rich wraps long lines


def test_restore_refuses_damaged_or_nonempty(sqlite_sessions, sqlite_url: str, tmp_path: Path, make_influxd) -> None:
    state = tmp_path / "state"
    state.mkdir()
    seed_world(sqlite_sessions, state)
    influxd = make_influxd()
    env = _env(sqlite_url, state, influxd) | {"KHO_BACKUP__INFLUX": "false"}
    bdir = tmp_path / "b"
    res = CliRunner().invoke(app, ["backup", str(bdir)], env=env)
    assert res.exit_code == 0, res.output
    # a second backup into the same directory is refused
    res = CliRunner().invoke(app, ["backup", str(bdir)], env=env)
    assert res.exit_code == 1 and "not empty" in _out(res)
    # restoring over the running registry is refused, nothing is touched
    res = CliRunner().invoke(app, ["restore", str(bdir)], env=env)
    assert res.exit_code == 1 and "not empty" in _out(res)
    # a damaged backup is refused before anything is written
    photo = next((bdir / "state" / "photos").rglob("*.png"))
    photo.write_bytes(photo.read_bytes() + b"x")
    fresh = tmp_path / "fresh"
    res = CliRunner().invoke(app, ["restore", str(bdir)], env=_env(_sqlite_url(fresh), fresh, influxd))
    assert res.exit_code == 1 and "does not match its manifest" in _out(res) and "photos" in _out(res)
    assert not (fresh / "kho.db").exists()
    res = CliRunner().invoke(app, ["restore", str(tmp_path / "nothing")], env=env)
    assert res.exit_code == 1 and "not a kho backup" in _out(res)
    # a file slipped into the backup, or a manifest naming a path outside the state directory, is refused
    photo.write_bytes(photo.read_bytes()[:-1])
    (bdir / "state" / "photos" / "extra.png").write_bytes(b"x")
    res = CliRunner().invoke(app, ["restore", str(bdir)], env=_env(_sqlite_url(fresh), fresh, influxd))
    assert res.exit_code == 1 and "extra.png (not in the manifest)" in _out(res)
    (bdir / "state" / "photos" / "extra.png").unlink()
    manifest = json.loads((bdir / "manifest.json").read_text())
    manifest["state"].append("../../outside")
    (bdir / "manifest.json").write_text(json.dumps(manifest))
    res = CliRunner().invoke(app, ["restore", str(bdir)], env=_env(_sqlite_url(fresh), fresh, influxd))
    assert res.exit_code == 1 and "names files kho does not write" in _out(res) and not (fresh / "kho.db").exists()
    # InfluxDB unreachable: one clear line, and no half backup left behind
    from kho.localservers import free_port

    down = env | {"KHO_BACKUP__INFLUX": "true", "KHO_INFLUX__URL": f"http://127.0.0.1:{free_port()}"}
    res = CliRunner().invoke(app, ["backup", str(tmp_path / "b2")], env=down)
    assert res.exit_code == 1 and "unreachable" in _out(res) and not (tmp_path / "b2").exists()


def test_restore_into_an_influxd_a_collector_prepared(
    sqlite_sessions, sqlite_url: str, tmp_path: Path, make_influxd
) -> None:
    """A database that exists but holds no readings (a collector created it at start) makes way; one with readings
    is refused."""
    from collector.influx import InfluxClient

    state = tmp_path / "state"
    state.mkdir()
    seed_world(sqlite_sessions, state)
    src, dst = make_influxd(), make_influxd()
    src_influx, dst_influx = InfluxSettings(url=src.url, database="kho"), InfluxSettings(url=dst.url, database="kho")
    for settings in (src_influx, dst_influx):
        c = InfluxClient(settings)
        c.ensure_database()
        c.close()
    c = InfluxClient(src_influx)
    c.write_lines(
        b"".join(
            b"climate,site=HN,room=K1,device=n1 temperature_c=%d %d\n" % (i, 1_700_000_000_000 + i) for i in range(50)
        )
    )
    c.close()
    bdir = tmp_path / "b"
    assert CliRunner().invoke(app, ["backup", str(bdir)], env=_env(sqlite_url, state, src)).exit_code == 0
    fresh = tmp_path / "fresh"
    res = CliRunner().invoke(app, ["restore", str(bdir)], env=_env(_sqlite_url(fresh), fresh, dst))
    assert res.exit_code == 0, res.output
    assert _points(dst_influx) == _points(src_influx) and len(_points(dst_influx)) == 50
    again = tmp_path / "again"
    res = CliRunner().invoke(app, ["restore", str(bdir)], env=_env(_sqlite_url(again), again, dst))
    assert res.exit_code == 1 and "already has readings" in _out(res)


def test_backup_finds_a_running_demos_influxd(tmp_path: Path) -> None:
    from kho.cli.backup_cmds import _with_demo_servers
    from kho.settings import Settings

    (tmp_path / "demo-ports.json").write_text(json.dumps({"mqtt": 1, "influx": 18086, "web": 2, "influx_rpc": 18088}))
    st = _with_demo_servers(Settings(state_dir=tmp_path))
    assert st.influx.url == "http://127.0.0.1:18086" and st.backup.influx_rpc == "127.0.0.1:18088"
    explicit = Settings(state_dir=tmp_path, influx={"url": "http://db:8086"}, backup={"influx_rpc": "db:8088"})  # type: ignore[arg-type]
    st = _with_demo_servers(explicit)
    assert st.influx.url == "http://db:8086" and st.backup.influx_rpc == "db:8088"
