"""Device ids and topics are plain, and no node's topics overlap another node's or a system prefix."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from firmware_configs.broker.acl import build_acl
from firmware_configs.esphome import Node
from inventory import registry
from inventory.db import session_scope
from inventory.errors import Conflict, RegistryError
from inventory.topics import overlaps


def _seed(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        registry.create_site(s, "QT", "Kho")
        registry.create_room(s, "QT", "R1", "Phòng 1")
        registry.add_device(s, "n1", "native", "QT", "R1")
        registry.add_device(s, "e1", "esphome", "QT", "R1", topic="archive/e1")
        registry.add_device(s, "t1", "tasmota", "QT", "R1")


@pytest.mark.parametrize(
    ("device_id", "profile", "topic", "text"),
    [
        # a node named like a system prefix would publish as every node of a profile (issue 11, item 4)
        ("kho", "esphome", None, "reserved"),
        ("cmnd", "esphome", None, "reserved"),
        ("x1", "esphome", "cmnd", "system prefix"),
        ("x1", "esphome", "cmnd/t1", "system prefix"),
        ("x1", "esphome", "tele", "system prefix"),
        ("x1", "esphome", "stat/x", "system prefix"),
        ("x1", "esphome", "KHO/x1", "system prefix"),
        ("x1", "esphome", "$SYS/broker", "invalid"),
        ("x1", "tasmota", "cmnd", "system prefix"),
        ("x1", "native", "kho/x1/more", "kho/<name>"),
        ("x1", "native", "other/x1", "kho/<name>"),
        ("x1", "tasmota", "a/b", "one level"),
        # wildcards and syntax Mosquitto's ACL file would read as more than one topic
        ("x1", "esphome", "a/#", "wildcard"),
        ("x1", "esphome", "a/+/b", "wildcard"),
        ("x1", "esphome", "x1\ntopic readwrite #", "wildcard"),
        ("x1", "esphome", "x1\ntopic", "invalid"),
        ("x1", "esphome", "x1 #", "wildcard"),
        ("x1", "esphome", "x1 y", "invalid"),
        ("x1", "esphome", "a//b", "invalid"),
        ("x1", "esphome", "/x1", "start or end"),
        ("x1", "esphome", "x1\u00a0", "invalid"),
        ("x1", "esphome", "a" * 129, "invalid"),
        ("x1\nuser kho-admin", "native", None, "invalid"),
        ("x 1", "native", None, "invalid"),
        ("x.1", "native", None, "invalid"),
        ("", "native", None, "invalid"),
        ("é1", "native", None, "invalid"),
    ],
)
def test_invalid_ids_and_topics_refused(
    sqlite_sessions: sessionmaker[Session], device_id: str, profile: str, topic: str | None, text: str
) -> None:
    _seed(sqlite_sessions)
    with pytest.raises(RegistryError, match=text), session_scope(sqlite_sessions) as s:
        registry.add_device(s, device_id, profile, "QT", "R1", topic=topic)
    with session_scope(sqlite_sessions) as s:
        assert [d.id for d in registry.list_devices(s)] == ["e1", "n1", "t1"]


@pytest.mark.parametrize(
    ("profile", "topic", "other"),
    [
        ("esphome", "archive", "e1"),  # a parent of e1's archive/e1 tree
        ("esphome", "archive/e1/sub", "e1"),  # inside e1's tree
        ("esphome", "Archive/E1", "e1"),  # a case variant (a look-alike)
        ("esphome", "archive/e1", "e1"),  # the same topic
        ("native", "kho/n1", "n1"),
        ("tasmota", "t1", "t1"),
        ("tasmota", "T1", "t1"),
    ],
)
def test_overlapping_topics_refused(sessions: sessionmaker[Session], profile: str, topic: str, other: str) -> None:
    _seed(sessions)  # SQLite and PostgreSQL: the candidates are found in SQL
    with pytest.raises(Conflict, match=other), session_scope(sessions) as s:
        registry.add_device(s, "x9", profile, "QT", "R1", topic=topic)


def test_neighbouring_topics_accepted(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    with session_scope(sessions) as s:
        registry.add_device(s, "a2", "esphome", "QT", "R1", topic="archXve/x")
        registry.add_device(s, "a1", "esphome", "QT", "R1", topic="arch_ve")  # '_' is a plain character here
        registry.add_device(s, "e2", "esphome", "QT", "R1", topic="archive/e2")
        registry.add_device(s, "e10", "esphome", "QT", "R1", topic="archive/e10")  # not under archive/e1
        registry.add_device(s, "t10", "tasmota", "QT", "R1")
        registry.add_device(s, "n10", "native", "QT", "R1")
    assert overlaps("archive/e1", "archive/e1/x") and not overlaps("archive/e1", "archive/e10")


def test_cli_topic_with_newline_is_one_line_error(
    sqlite_sessions: sessionmaker[Session], sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from kho.cli import app

    _seed(sqlite_sessions)
    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path))
    res = CliRunner().invoke(
        app, ["devices", "add", "x1", "--profile", "esphome", "--room", "QT/R1", "--topic", "x1\ntopic readwrite #"]
    )
    assert res.exit_code != 0 and isinstance(res.exception, RegistryError)
    assert "wildcard" in str(res.exception)


def _node(id_: str, profile: str, topic: str) -> Node:
    return Node(
        id=id_, profile=profile, topic=topic, hardware="", has_smoke=False, interval_s=60, site="QT", room="R1", meta={}
    )


@pytest.mark.parametrize(
    "nodes",
    [
        [_node("e1", "esphome", "e1\ntopic readwrite #")],
        [_node("e1", "esphome", "#")],
        [_node("e1", "esphome", "cmnd")],
        [_node("kho", "esphome", "kho")],
        [_node("e1\nuser x", "esphome", "e1")],
        [_node("e1", "esphome", "a"), _node("e2", "esphome", "a/b")],  # a registry from before the rules
    ],
)
def test_acl_refuses_anything_but_plain_topics(nodes: list[Node]) -> None:
    with pytest.raises(RegistryError):
        build_acl(nodes, "kho-collector", "kho-admin")


def test_acl_refuses_bad_service_user() -> None:
    with pytest.raises(RegistryError, match="user name"):
        build_acl([], "kho-collector\ntopic readwrite #", "kho-admin")


def test_acl_of_plain_nodes() -> None:
    acl = build_acl([_node("t1", "tasmota", "t1"), _node("e1", "esphome", "archive/e1")], "kho-collector", "kho-admin")
    assert "user e1\ntopic write archive/e1/#\n" in acl
    assert "user t1\ntopic write tele/t1/#\ntopic write stat/t1/#\ntopic read cmnd/t1/#\n" in acl
    assert all(line == "" or line.startswith(("#", "user ", "topic ")) for line in acl.splitlines())
