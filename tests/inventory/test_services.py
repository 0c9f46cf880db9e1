"""Services beyond the API: text normalisation, capacities in metres, recurrence, labels, demo data, CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from inventory import services as sv
from inventory.demo_data import seed_demo_inventory
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import Box, File, LabelToken, Room, User
from inventory.registry import create_room, create_site
from inventory.textnorm import normalize
from tests.inventory.conftest import World


def test_normalize_vietnamese() -> None:
    assert normalize("Hồ sơ ĐẤT ĐAI, xã Đông Anh (1998)") == "ho so dat dai xa dong anh 1998"
    assert normalize("Quyết định số 12/QĐ-UBND") == "quyet dinh so 12 qd ubnd"


def test_bulk_core_insert_fills_search_text(sessions: sessionmaker[Session], world: World) -> None:
    """Loaders that bypass the ORM (import, benchmarks) still get searchable files."""
    with sessions() as s:
        box_id = world.box_ids["P12-ML3-H004"]
        s.execute(
            insert(File), [{"box_id": box_id, "number": 10 + i, "title": f"Sổ đăng ký ruộng đất {i}"} for i in range(3)]
        )
        s.commit()
        assert s.scalar(select(File.title_norm).where(File.number == 10)) == "so dang ky ruong dat 0"
        hits = sv.search(s, "ruộng đất")
    assert [h.code for h in hits] == ["P12-ML3-H004"]


def test_capacity_in_linear_metres(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as s:
        sv.create_shelving(s, "HN", "K1", 5, shelves=1, slots_per_shelf=1, capacity_boxes=10, capacity_m=0.25)
        a = sv.create_box(s, sv.BoxIn("P12", 4, 1, width_m=0.15), "t")
        b = sv.create_box(s, sv.BoxIn("P12", 4, 2, width_m=0.15), "t")
        sv.place_box(s, a, "K1-G05-T1-V01", "t")
        with pytest.raises(Conflict, match=r"full \(0.15/0.25 m\)"):
            sv.place_box(s, b, "K1-G05-T1-V01", "t")


def test_labels_are_random_and_resolve(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as s:
        tokens = list(s.scalars(select(LabelToken.token)))
        assert len(tokens) == len(set(tokens)) and all(len(t) >= 16 for t in tokens)
        assert all(not t.isdigit() for t in tokens)
        box_tok = sv.label_tokens(s, "box", [world.box_ids["P12-ML3-H001"]])[world.box_ids["P12-ML3-H001"]]
        assert sv.resolve_label(s, f"https://kho.example/s/{box_tok}?x=1").code == "P12-ML3-H001"
        assert sv.resolve_label(s, "k1-g01-t1-v02").kind == "slot"
        assert sv.resolve_label(s, "K1-G01").kind == "unit"
        room_tok = sv.ensure_room_label(s, s.get_one(Room, world.room_id))
        assert sv.resolve_label(s, room_tok).kind == "room" and sv.resolve_label(s, "HN-K1").kind == "room"
        with pytest.raises(NotFound):
            sv.resolve_label(s, "nothing-here")
        new = sv.reissue_label(s, "box", world.box_ids["P12-ML3-H001"])
        assert new != box_tok and sv.resolve_label(s, new).code == "P12-ML3-H001"
        with pytest.raises(NotFound):
            sv.resolve_label(s, box_tok)  # the lost label no longer opens anything


def test_recurrence_validation() -> None:
    assert sv.check_recurrence("Every  7d") == "every 7d"
    assert sv.parse_interval("every 2w").days == 14  # type: ignore[union-attr]
    assert sv.check_recurrence("0 8 * * mon") == "0 8 * * mon"
    for bad in ("every 5m", "weekly", "0 8 * *", "61 8 * * *"):
        with pytest.raises(RegistryError):
            sv.check_recurrence(bad)


def test_input_errors(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as s:
        with pytest.raises(NotFound):
            sv.create_box(s, sv.BoxIn("P99", 1, 1), "t")
        with pytest.raises(RegistryError, match="after end date"):
            sv.create_box(s, sv.BoxIn("P12", 1, 1, date_from=date(2000, 1, 2), date_to=date(2000, 1, 1)), "t")
        with pytest.raises(RegistryError, match="title is empty"):
            sv.create_box(s, sv.BoxIn("P12", 1, 2, files=[sv.FileIn(1, " ")]), "t")
        with pytest.raises(RegistryError, match="unknown media"):
            sv.create_box(s, sv.BoxIn("P12", 1, 3, media="vinyl"), "t")
        with pytest.raises(Conflict):
            sv.create_fonds(s, "p12", "dup")
        with pytest.raises(RegistryError):
            sv.create_fonds(s, "P 1", "space")


def test_demo_data_is_idempotent(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        create_site(s, "DEMO", "Demo")
        create_room(s, "DEMO", "K1", "Kho 1")
        first = seed_demo_inventory(s, "DEMO")
        s.commit()
        again = seed_demo_inventory(s, "DEMO")
        s.commit()
        assert first.boxes == 60 and again.boxes == 0
        assert s.scalar(select(func.count(Box.id))) == 60
        assert {u for u in s.scalars(select(User.username))} == {"admin", "thukho"}
        assert sv.open_tasks_for_room(s, sv.get_unit(s, "K1-G01").room_id)


def test_cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kho.cli import app
    from kho.db import upgrade

    upgrade(sqlite_url)
    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        r = run(app, list(args))
        assert r.exit_code == 0, (args, r.output, r.exception)
        return r.output

    ok("sites", "add", "HN", "Hà Nội")
    ok("rooms", "add", "HN", "K1", "Kho 1")
    assert "K1-G01-T2-V03" in ok("shelving", "add", "HN/K1", "1", "--shelves", "2", "--slots", "3")
    ok("fonds", "add", "P12", "UBND")
    assert "P12-ML3-H001 added in K1-G01-T1-V01" in ok(
        "boxes", "add", "P12", "3", "1", "--file", "Hồ sơ đất", "--slot", "K1-G01-T1-V01"
    )
    ok("boxes", "move", "P12-ML3-H001", "K1-G01-T1-V02")
    out = ok("boxes", "show", "P12-ML3-H001")
    assert "misplaced" in out and "moved" in out and "Hồ sơ đất" in out
    ok("boxes", "checkout", "P12-ML3-H001", "--to", "An")
    ok("boxes", "return", "P12-ML3-H001")
    assert "K1-G01-T1-V01" in ok("boxes", "search", "dat")
    ok("users", "add", "lan", "--role", "keeper", "--password", "long-enough")
    assert "lan" in ok("users", "list")
    secret = ok("tokens", "create", "--name", "bot", "--role", "keeper").strip().splitlines()[-1]
    assert secret.startswith("kho_")
    ok("schedules", "add", "--kind", "floor", "--recurrence", "every 7d", "--room", "HN/K1")
    r = run(app, ["boxes", "return", "P12-ML3-H001"])
    assert r.exit_code != 0 and isinstance(r.exception, Conflict)
    r = run(app, ["users", "add", "x", "--role", "boss", "--password", "long-enough"])
    assert r.exit_code != 0 and "unknown role" in str(r.exception)
