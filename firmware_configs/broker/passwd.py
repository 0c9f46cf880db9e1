"""Mosquitto password files: ``user:$7$<iterations>$<salt b64>$<hash b64>`` (PBKDF2-SHA512, mosquitto ≥ 2.0)."""

from __future__ import annotations

import base64
import grp
import hashlib
import hmac
import os
import secrets
from pathlib import Path

BROKER_GROUP = "mosquitto"
ITERATIONS = 101  # mosquitto_passwd's default for $7$
SALT_LEN = 12


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """The ``$7$`` hash mosquitto_passwd would write for ``password``."""
    salt = salt if salt is not None else os.urandom(SALT_LEN)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches a ``$7$`` hash."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    iterations, salt, digest = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations), digest)


def new_password() -> str:
    """A random password (≈ 128 bits, URL-safe so it pastes into Tasmota's console and YAML)."""
    return secrets.token_urlsafe(16)


def read_passwd(path: Path) -> dict[str, str]:
    """``user → hash`` of a password file (empty when it does not exist); order kept."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            user, _, encoded = line.partition(":")
            out[user] = encoded
    return out


def write_broker_file(path: Path, text: str) -> None:
    """Write a file the broker reads, atomically: mode 0640, group ``mosquitto`` when it exists.

    Mosquitto started as root drops to the ``mosquitto`` user before it reads the password and ACL files.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o640)
    try:
        gid = grp.getgrnam(BROKER_GROUP).gr_gid
        os.chown(tmp, -1, gid)
    except (KeyError, PermissionError):
        pass  # no such group here, or not allowed: the operator sets ownership (see docs/firmware.md)
    tmp.replace(path)


def write_passwd(path: Path, entries: dict[str, str]) -> None:
    """Write the password file (hashes only)."""
    write_broker_file(path, "".join(f"{user}:{encoded}\n" for user, encoded in entries.items()))
