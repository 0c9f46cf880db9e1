"""Generate and rotate the fleet's broker accounts; plaintext passwords go once into each node's secrets."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from firmware_configs.broker.acl import build_acl
from firmware_configs.broker.conf import CONF_FILE, build_conf
from firmware_configs.broker.passwd import (
    hash_password,
    new_password,
    read_passwd,
    write_broker_file,
    write_passwd,
)
from firmware_configs.esphome import Node, write_secrets
from firmware_configs.render import firmware_of
from firmware_configs.settings import FirmwareSettings
from inventory.errors import NotFound, RegistryError

PASSWD_FILE = "passwd"
ACL_FILE = "acl"


@dataclass
class CredentialsResult:
    """What changed in the broker files."""

    passwd: Path
    acl: Path
    conf: Path | None = None
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    # Service accounts' plaintexts are written to <broker_dir>/<user>.secret (0600), only when created.
    secret_files: list[Path] = field(default_factory=list)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _check_users(nodes: list[Node], settings: FirmwareSettings) -> None:
    service = {settings.collector_user, settings.admin_user, *settings.extra_collector_users}
    clash = service & {n.id for n in nodes}
    if clash:
        raise RegistryError(f"device id(s) {', '.join(sorted(clash))} clash with the broker's service accounts")


def generate_credentials(
    nodes: list[Node], broker_dir: Path, firmware_dir: Path, settings: FirmwareSettings
) -> CredentialsResult:
    """Bring the password file and ACL in line with the registry.

    Existing accounts keep their hashes (nodes already flashed keep working); new nodes get a password,
    written in plaintext only into ``firmware_dir/<id>/secrets.yaml``; removed nodes lose their account.
    """
    _check_users(nodes, settings)
    passwd_path, acl_path = broker_dir / PASSWD_FILE, broker_dir / ACL_FILE
    # refuses (bad id, topic or overlap) before anything is written
    acl_text = build_acl(nodes, settings.collector_user, settings.admin_user, settings.extra_collector_users)
    old = read_passwd(passwd_path)
    result = CredentialsResult(passwd_path, acl_path)
    entries: dict[str, str] = {}
    for user in (settings.collector_user, *settings.extra_collector_users, settings.admin_user):
        if user in old:
            entries[user] = old[user]
            result.kept.append(user)
        else:
            password = new_password()
            entries[user] = hash_password(password)
            secret = broker_dir / f"{user}.secret"
            _write_private(secret, password + "\n")
            result.secret_files.append(secret)
            result.created.append(user)
    for node in sorted(nodes, key=lambda n: n.id):
        if node.id in old:
            entries[node.id] = old[node.id]
            result.kept.append(node.id)
            continue
        password = new_password()
        entries[node.id] = hash_password(password)
        write_secrets(
            firmware_dir / node.id / "secrets.yaml", {"mqtt_password": password}, esphome=_esphome_secrets(node)
        )
        result.created.append(node.id)
    result.removed = sorted(set(old) - set(entries))
    write_passwd(passwd_path, entries)
    write_broker_file(acl_path, acl_text)
    result.conf = broker_dir / CONF_FILE
    write_broker_file(result.conf, build_conf(passwd_path.resolve(), acl_path.resolve()))
    return result


def rotate_password(node: Node, broker_dir: Path, firmware_dir: Path) -> str:
    """Give one node a new password; every other line of the password file stays byte-identical.

    Returns the new plaintext (also written to the node's secrets.yaml). The broker picks it up on SIGHUP.
    """
    passwd_path = broker_dir / PASSWD_FILE
    entries = read_passwd(passwd_path)
    if node.id not in entries:
        raise NotFound(f"device {node.id} has no broker account yet: run `kho broker credentials` first")
    password = new_password()
    entries[node.id] = hash_password(password)
    write_secrets(firmware_dir / node.id / "secrets.yaml", {"mqtt_password": password}, esphome=_esphome_secrets(node))
    write_passwd(passwd_path, entries)
    return password


def _esphome_secrets(node: Node) -> bool:
    fw = firmware_of(node.profile)
    return fw is not None and fw.esphome_secrets
