"""From the shell: an admin ends a user's sessions; the password policy holds for `kho users add`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from inventory import auth
from inventory.db import make_engine, make_sessionmaker
from inventory.models import User, WebSession


def _kho(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KHO_STATE_DIR=str(state))
    env.pop("KHO_DATABASE__URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from kho.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_users_logout_and_password_policy(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert _kho(state, "db", "upgrade").returncode == 0
    r = _kho(state, "users", "add", "lan", "--role", "keeper", "--password", "password123")
    assert r.returncode == 1 and "too common" in r.stderr and "Traceback" not in r.stderr
    r = _kho(state, "users", "add", "lan", "--role", "keeper", "--password", "lan")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert _kho(state, "users", "add", "lan", "--role", "keeper", "--password", "sông-Hương-núi-Ngự").returncode == 0
    engine = make_engine(f"sqlite:///{state / 'kho.db'}")
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        user = s.scalar(select(User).where(User.username == "lan"))
        assert user is not None
        for _ in range(2):
            auth.start_session(s, user, "192.0.2.1", "phone")
        s.commit()
    r = _kho(state, "users", "logout", "lan")
    assert r.returncode == 0 and "2 session(s) of lan ended" in r.stdout
    with sessions() as s:
        assert all(ws.revoked_at is not None for ws in s.scalars(select(WebSession)))
    engine.dispose()
    assert (state / "kho.db").stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
