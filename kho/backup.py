"""``kho backup DIR`` / ``kho restore DIR``: a consistent copy of everything kho keeps, and its way back.

A backup directory holds:

- ``registry.sqlite`` (SQLite's online backup API: one read transaction, so a consistent snapshot while
  keepers and the collector write) or ``registry.pgdump`` (``pg_dump --format=custom``, one snapshot);
  the alert tables live in the same database;
- ``state/``: the secret key, damage photos, archival scans (destruction documents), broker and firmware files,
  and the collector's spool and dead letters (SQLite files, copied with the backup API too);
- ``influx/``: ``influxd backup -portable`` of ``influx.database`` through influxd's RPC address;
- ``manifest.json``: what is where, with the SHA-256 and size of every file (checked before a restore).

The registry and InfluxDB are copied one after the other, not in one instant: readings written between
the two steps are in InfluxDB's copy only, which is harmless (a reading is attributed when it is written).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from kho.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "registry.sqlite"
PGDUMP_FILE = "registry.pgdump"
STATE_FILES = ("secret_key",)
STATE_DIRS = ("photos", "archival", "broker", "firmware")
COLLECTOR_DBS = ("collector/spool.db", "collector/deadletter.db")

Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore cannot be done; the message says why and what to do."""


@dataclass
class BackupResult:
    """Where a backup went and what it holds."""

    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sqlite_copy(src: Path, dst: Path) -> None:
    """Copy a live SQLite database through the online backup API (a consistent snapshot, WAL included)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)  # pages=-1: the whole database in one step, so in one read transaction
            target.execute("PRAGMA journal_mode=DELETE")
            ok = target.execute("PRAGMA integrity_check").fetchone()
            if ok is None or ok[0] != "ok":
                raise BackupError(f"the copy of {src} failed its integrity check: {ok}")
        finally:
            target.close()
    finally:
        source.close()
    tmp.chmod(0o600)
    tmp.replace(dst)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options for ``url`` (the password goes in the environment, never on the command line)."""
    u = make_url(url)
    args = ["--dbname", u.database or ""]
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args, env


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        path = str(candidates[-1]) if candidates else None
    if path is None:
        raise BackupError(f"{name} not found: install it (apt-get install postgresql-client / influxdb)")
    return path


def _run(argv: list[str], env: dict[str, str] | None = None, what: str = "") -> None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=3600, check=False)
    except OSError as e:
        raise BackupError(f"{what or argv[0]}: {e}") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{what or argv[0]} failed ({proc.returncode}): {' / '.join(tail)}")


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise BackupError(f"the registry {url!r} is not a SQLite file")
    return Path(db)


def _copy_tree(src: Path, dst: Path) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        target = dst / rel
        if path.is_symlink():
            continue  # never follow links out of the state directory
        if path.is_dir():
            _private_dir(target)
        elif path.is_file():
            _private_dir(target.parent)
            shutil.copyfile(path, target)
            target.chmod(0o600)


def _influx_databases(settings: Settings) -> list[str]:
    from collector.influx import InfluxClient

    client = InfluxClient(settings.influx)
    try:
        series = client.query("SHOW DATABASES")
    finally:
        client.close()
    return [str(v[0]) for s in series for v in s.get("values", [])]


def _influx_measurements(settings: Settings) -> list[str]:
    from collector.influx import InfluxClient
    from collector.influx_schema import ident

    client = InfluxClient(settings.influx)
    try:
        series = client.query(f"SHOW MEASUREMENTS ON {ident(settings.influx.database)}")
    finally:
        client.close()
    return [str(v[0]) for s in series for v in s.get("values", [])]


def _drop_empty_influx_database(settings: Settings) -> None:
    """A database a collector created at start but that holds no readings yet makes way for the restored one."""
    from collector.influx import InfluxClient
    from collector.influx_schema import ident

    if settings.influx.database not in _influx_databases(settings):
        return
    client = InfluxClient(settings.influx)
    try:
        # DDL goes by POST (InfluxDB 1.x refuses it on GET); the client's DDL path is the one ensure_database uses.
        client._query_results(f"DROP DATABASE {ident(settings.influx.database)}", db="", post=True)
    finally:
        client.close()


def _manifest_files(root: Path, hashes: bool = True) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST or not (path.is_file() or path.is_symlink()):
            continue
        out[rel] = {"sha256": _sha256(path), "size": path.stat().st_size} if hashes else {}
    return out


def backup(settings: Settings, dest: Path, progress: Progress | None = None) -> BackupResult:
    """Write a backup of the running system into ``dest`` (new or empty directory, created mode 0700).

    A backup that fails leaves nothing behind in ``dest`` (no half backup that looks like one).
    """
    from collector.influx import InfluxUnavailable

    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: give a new directory")
    created = not dest.exists()
    try:
        return _backup(settings, dest, progress)
    except InfluxUnavailable as e:
        _discard(dest, created)
        raise BackupError(f"{e} (influx.url)") from None
    except BaseException:
        _discard(dest, created)
        raise


def _discard(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
    elif dest.is_dir():
        for p in dest.iterdir():
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def _backup(settings: Settings, dest: Path, progress: Progress | None) -> BackupResult:
    say = progress or (lambda _msg: None)
    _private_dir(dest)
    url = settings.database_url
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {},
        "influx": None,
        "state": [],
    }
    say("registry")
    if _is_sqlite(url):
        src = _sqlite_path(url)
        if not src.exists():
            raise BackupError(f"the registry {src} does not exist")
        _sqlite_copy(src, dest / SQLITE_FILE)
        manifest["database"] = {"kind": "sqlite", "file": SQLITE_FILE}
    else:
        args, env = _pg_args(url)
        out = dest / PGDUMP_FILE
        _run(
            [_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(out), *args],
            env,
            "pg_dump",
        )
        out.chmod(0o600)
        manifest["database"] = {"kind": "postgresql", "file": PGDUMP_FILE}
    say("files")
    state = settings.state_dir
    for name in STATE_FILES:
        if (state / name).is_file():
            _private_dir(dest / "state")
            shutil.copyfile(state / name, dest / "state" / name)
            (dest / "state" / name).chmod(0o600)
            manifest["state"].append(name)
    for name in STATE_DIRS:
        if (state / name).is_dir():
            _copy_tree(state / name, dest / "state" / name)
            manifest["state"].append(name)
    for name in COLLECTOR_DBS:
        if (state / name).is_file():
            _sqlite_copy(state / name, dest / "state" / name)
            manifest["state"].append(name)
    if settings.backup.influx:
        say("influxdb")
        db = settings.influx.database
        if db not in _influx_databases(settings):
            raise BackupError(f"InfluxDB has no database {db!r} (influx.database)")
        _run(
            [
                _influxd(settings),
                "backup",
                "-portable",
                "-host",
                settings.backup.influx_rpc,
                "-db",
                db,
                str(dest / "influx"),
            ],
            what=f"influxd backup (RPC {settings.backup.influx_rpc}, backup.influx_rpc)",
        )
        _private_dir(dest / "influx")
        for p in (dest / "influx").iterdir():
            p.chmod(0o600)
        manifest["influx"] = {"database": db, "dir": "influx"}
    say("checksums")
    manifest["files"] = _manifest_files(dest)
    fd = os.open(dest / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
    return BackupResult(dest, manifest)


def _influxd(settings: Settings) -> str:
    name = settings.backup.influxd
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if path is None:
        raise BackupError(f"{name} not found: install InfluxDB 1.x (apt-get install influxdb)")
    return path


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of backup ``src`` after checking every file's size and SHA-256 against it."""
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} is not a kho backup (no {MANIFEST})")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeError) as e:
        raise BackupError(f"{path} is damaged: {e}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {manifest.get('format')!r} is not supported (expected {FORMAT})")
    root = Path(src).resolve()
    bad: list[str] = []
    for rel, meta in manifest.get("files", {}).items():
        p = (root / rel).resolve()
        if root not in p.parents or not p.is_file():
            bad.append(f"{rel} (missing)")
        elif p.stat().st_size != meta["size"] or _sha256(p) != meta["sha256"]:
            bad.append(f"{rel} (checksum)")
    listed = set(manifest.get("files", {}))
    bad += [f"{rel} (not in the manifest)" for rel in sorted(set(_manifest_files(root, hashes=False)) - listed)]
    if bad:
        raise BackupError(f"{src} does not match its manifest: {', '.join(bad[:5])}")
    _check_names(src, manifest)
    return manifest


def _check_names(src: Path, manifest: dict[str, Any]) -> None:
    """Only the names kho writes: a manifest cannot make a restore write outside the state directory."""
    allowed = {*STATE_FILES, *STATE_DIRS, *COLLECTOR_DBS}
    db = manifest.get("database") or {}
    influx = manifest.get("influx")
    ok = (
        (db.get("kind"), db.get("file")) in (("sqlite", SQLITE_FILE), ("postgresql", PGDUMP_FILE))
        and all(name in allowed for name in manifest.get("state", []))
        and (influx is None or (influx.get("dir") == "influx" and isinstance(influx.get("database"), str)))
    )
    if not ok:
        raise BackupError(f"{src}: the manifest names files kho does not write")


def _check_empty_target(settings: Settings, manifest: dict[str, Any]) -> None:
    from inventory.db import make_engine

    url = settings.database_url
    kind = manifest["database"]["kind"]
    if (kind == "sqlite") != _is_sqlite(url):
        raise BackupError(
            f"the backup holds a {kind} registry but database.url is {make_url(url).get_backend_name()}: "
            "restore into the same kind of database"
        )
    if not _is_sqlite(url) or _sqlite_path(url).exists():
        engine = make_engine(url)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise BackupError(f"the registry database is not empty ({len(tables)} tables): restore needs an empty one")
    state = settings.state_dir
    for name in manifest.get("state", []):
        p = state / name
        if p.is_file() or (p.is_dir() and any(p.iterdir())):
            raise BackupError(f"{p} exists: restore needs an empty state directory")
    wants_influx = bool(manifest.get("influx")) and settings.backup.influx
    if wants_influx and settings.influx.database in _influx_databases(settings) and _influx_measurements(settings):
        raise BackupError(
            f"InfluxDB already has readings in database {settings.influx.database!r}: "
            "restore needs an influxd without them"
        )


def restore(settings: Settings, src: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Put backup ``src`` back into the (empty) registry, state directory and InfluxDB of ``settings``."""
    from collector.influx import InfluxUnavailable

    try:
        return _restore(settings, Path(src), progress)
    except InfluxUnavailable as e:
        raise BackupError(f"{e} (influx.url)") from None


def _restore(settings: Settings, src: Path, progress: Progress | None) -> dict[str, Any]:
    from kho import db as kho_db

    say = progress or (lambda _msg: None)
    say("checksums")
    manifest = read_manifest(src)
    _check_empty_target(settings, manifest)
    url = settings.database_url
    say("registry")
    if manifest["database"]["kind"] == "sqlite":
        target = _sqlite_path(url)
        _private_dir(target.parent)
        _sqlite_copy(src / manifest["database"]["file"], target)
    else:
        args, env = _pg_args(url)
        _run(
            [
                _binary("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *args,
                str(src / manifest["database"]["file"]),
            ],
            env,
            "pg_restore",
        )
    kho_db.upgrade(url)  # a backup of an older kho gets this version's tables
    say("files")
    state = settings.state_dir
    _private_dir(state)
    for name in manifest.get("state", []):
        source = src / "state" / name
        if source.is_dir():
            _copy_tree(source, state / name)
        elif source.is_file():
            _private_dir((state / name).parent)
            shutil.copyfile(source, state / name)
            (state / name).chmod(0o600)
    influx = manifest.get("influx")
    if influx and settings.backup.influx:
        say("influxdb")
        _drop_empty_influx_database(settings)
        # influxd reads the backup files as itself; a private copy it can read keeps the backup untouched.
        with tempfile.TemporaryDirectory(prefix="kho-restore-") as tmp:
            copy = Path(tmp) / "influx"
            shutil.copytree(src / influx["dir"], copy)
            _run(
                [
                    _influxd(settings),
                    "restore",
                    "-portable",
                    "-host",
                    settings.backup.influx_rpc,
                    "-db",
                    influx["database"],
                    "-newdb",
                    settings.influx.database,
                    str(copy),
                ],
                what=f"influxd restore (RPC {settings.backup.influx_rpc}, backup.influx_rpc)",
            )
    return manifest
