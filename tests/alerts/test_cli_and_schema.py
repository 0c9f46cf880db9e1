"""`kho alerts …` commands and the alerts migration branch (up and down, SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from typer.testing import CliRunner

from inventory.db import make_engine, make_sessionmaker
from kho import db as kho_db
from kho.cli import app
from tests.alerts.conftest import alerts_in, deliveries, make_registry
from tests.alerts.test_api import _firing_alert

ALERT_TABLES = {
    "alerts",
    "alert_events",
    "alert_rule_state",
    "alert_contacts",
    "alert_silences",
    "alert_deliveries",
    "alert_ack_tokens",
}


def test_migration_up_and_down(db_url: str) -> None:
    kho_db.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= ALERT_TABLES
        kho_db.downgrade(db_url)
        assert not ALERT_TABLES & set(inspect(engine).get_table_names())
        kho_db.upgrade(db_url)
        assert set(inspect(engine).get_table_names()) >= ALERT_TABLES
    finally:
        engine.dispose()


def _run(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    return result


def test_cli_contacts_ack_silence_and_test_notify(sqlite_url: str, tmp_path: Path, webhook: Any) -> None:
    kho_db.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    room = make_registry(sessions)
    env = {
        "KHO_DATABASE__URL": sqlite_url,
        "KHO_STATE_DIR": str(tmp_path / "state"),
        "KHO_ALERTS__WEBHOOK__ALLOW_PRIVATE": "true",  # the stand-in is on 127.0.0.1
    }
    r = _run(
        env,
        "alerts",
        "contacts",
        "add",
        "Hook",
        "--channel",
        "webhook",
        "--address",
        webhook.url,
        "--site",
        "HN",
        "--tier",
        "2",
    )
    assert r.exit_code == 0, r.output
    r = _run(env, "alerts", "contacts", "list")
    assert "Hook" in r.output and "manager" in r.output
    r = _run(env, "alerts", "test-notify", "--contact", "Hook")
    assert r.exit_code == 0, r.output
    [req] = webhook.wait_for(1)
    assert req.json()["kind"] == "test"
    assert [d.status for d in deliveries(sessions)] == ["sent"]

    aid = _firing_alert(sessions, room.room_id)
    r = _run(env, "alerts", "list")
    assert r.exit_code == 0 and "Smoke" in r.output.replace("SMOKE", "Smoke")
    r = _run(env, "alerts", "ack", str(aid), "--by", "Lan", "--comment", "kiểm tra rồi")
    assert r.exit_code == 0, r.output
    [a] = alerts_in(sessions)
    assert a.state == "acknowledged" and a.acknowledged_by == "Lan" and a.ack_comment == "kiểm tra rồi"

    r = _run(env, "alerts", "silence", "--site", "HN", "--room", "P1", "--until", "2h", "--reason", "bảo trì")
    assert r.exit_code == 0, r.output
    r = _run(env, "alerts", "silences")
    assert "bảo trì" in r.output
    engine.dispose()


def test_cli_user_errors_are_one_line(sqlite_url: str, tmp_path: Path) -> None:
    kho_db.upgrade(sqlite_url)
    env = {"KHO_DATABASE__URL": sqlite_url, "KHO_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    kho = str(Path(sys.executable).parent / "kho")
    for args, needle in (
        (["alerts", "ack", "42", "--by", "x"], "no alert 42"),
        (["alerts", "contacts", "add", "X", "--channel", "pigeon", "--address", "a"], "unknown channel"),
        (["alerts", "silence", "--until", "tomorrow", "--reason", "x"], "--until"),
        (["alerts", "test-notify", "--contact", "nobody"], "no contact nobody"),
    ):
        p = subprocess.run([kho, *args], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p.stdout + p.stderr
        assert needle in p.stderr and "Traceback" not in p.stderr


def test_engine_on_an_unmigrated_database_is_a_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    import pytest

    from inventory.errors import RegistryError
    from kho.settings import Settings
    from kho.wiring import build_consumers

    engine = make_engine(sqlite_url)
    settings = Settings(state_dir=tmp_path, database={"url": sqlite_url})  # type: ignore[arg-type]
    with pytest.raises(RegistryError, match="kho db upgrade"):
        build_consumers(settings, make_sessionmaker(engine), dict)
    engine.dispose()
