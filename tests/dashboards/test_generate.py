"""Generated dashboards: structure, limits-driven colours, committed files up to date, the render command."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dashboards.builders import OVERVIEW_UID, all_dashboards, make_uid, room_uid, wall_uid
from dashboards.example import GENERATED, regenerate
from dashboards.registry_view import SiteView, load_sites
from dashboards.validate import iter_panels, iter_queries, validate_dashboard
from inventory import registry
from inventory.db import session_scope

DS = "kho-influxdb"


def _big_registry(sessions: sessionmaker[Session]) -> list[SiteView]:
    with session_scope(sessions) as s:
        for site in ("HN", "a-very-long-site-code-for-uid-tests"):
            registry.create_site(s, site, f"Kho {site}")
            for i in range(5):
                cls = ("paper", "photo", "magnetic")[i % 3]
                registry.create_room(s, site, f"R{i}", f"Phòng {i}", cls)
                registry.add_device(s, f"{site}-n{i}", "native", site, f"R{i}", has_smoke=i % 2 == 0)
    with session_scope(sessions) as s:
        return load_sites(s)


def test_every_dashboard_is_structurally_valid(example_sites: list[SiteView], sqlite_sessions) -> None:
    boards = all_dashboards(example_sites, DS)
    assert set(boards) == {"overview.json", "wall-QT.json", "room-QT-P1.json", "room-QT-P2.json"}
    for name, board in boards.items():
        assert validate_dashboard(board, {DS}) == [], name
        assert board["panels"], name
        assert list(iter_queries(board)), name


def test_large_registry_valid_and_uids_stable_and_short(sqlite_sessions) -> None:
    sites = _big_registry(sqlite_sessions)
    boards = all_dashboards(sites, DS)
    assert len(boards) == 1 + 2 + 10
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    for board in boards.values():
        assert validate_dashboard(board, {DS}) == []
    assert all(len(u) <= 40 for u in uids)
    wall = boards["wall-HN.json"]  # R1 and R3 have no smoke detector: a plain note instead of a smoke tile
    notes = [p for p in wall["panels"] if p["type"] == "text"]
    assert len(notes) == 2 and all("Không có đầu báo khói" in p["options"]["content"] for p in notes)
    assert all_dashboards(sites, DS) == boards  # deterministic: same registry, same JSON
    assert make_uid("room", "a-very-long-site-code-for-uid-tests", "R1") != make_uid(
        "room", "a-very-long-site-code-for-uid-tests", "R2"
    )


def test_validator_catches_broken_dashboards(example_sites: list[SiteView]) -> None:
    board = all_dashboards(example_sites, DS)["wall-QT.json"]
    broken = json.loads(json.dumps(board))
    broken["panels"][1]["id"] = broken["panels"][0]["id"]
    broken["panels"][2]["gridPos"] = dict(broken["panels"][3]["gridPos"])
    broken["panels"][4]["datasource"] = {"type": "influxdb", "uid": "nope"}
    broken["panels"][5]["targets"][0]["query"] += " AND $missing"
    problems = " | ".join(validate_dashboard(broken, {DS}))
    assert "duplicate panel ids" in problems
    assert "overlap" in problems
    assert "unknown datasource" in problems
    assert "undefined variable $missing" in problems


def test_wall_is_kiosk_ready_and_coloured_by_room_limits(example_sites: list[SiteView]) -> None:
    wall = all_dashboards(example_sites, DS)["wall-QT.json"]
    assert wall["uid"] == wall_uid("QT") and wall["refresh"] == "30s" and wall["style"] == "dark"
    stats = [p for p in wall["panels"] if p["type"] == "stat"]
    assert len(stats) == 8  # 2 rooms × (T, RH, smoke, offline)
    assert all(p["options"]["text"]["valueSize"] >= 80 for p in stats)  # readable from 3 m
    photo_t = next(p for p in stats if p["title"].startswith("P2") and "Nhiệt độ" in p["title"])
    assert photo_t["title"] == "P2 · Phòng kho phim, ảnh (photo/film) · Nhiệt độ"
    steps = [s["value"] for s in photo_t["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, 2, 8, 16, 20]  # photo/film: outer 2–20 °C, target 8–16 °C
    paper_rh = next(p for p in stats if p["title"].startswith("P1") and "Độ ẩm" in p["title"])
    steps = [s["value"] for s in paper_rh["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, 35, 45, 55, 65]
    smoke = next(p for p in stats if p["title"] == "P1 · Khói")
    texts = {o["text"] for m in smoke["fieldConfig"]["defaults"]["mappings"] for o in m["options"].values()}
    assert texts == {"Không khói", "CÓ KHÓI!"}
    # 1080p ≈ 27 grid rows: both rooms fill the screen without scrolling
    assert 20 <= max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in wall["panels"]) <= 27


def test_english_wording(example_sites: list[SiteView]) -> None:
    wall = all_dashboards(example_sites, DS, lang="en")["wall-QT.json"]
    titles = " ".join(p["title"] for p in wall["panels"])
    assert "Temperature" in titles and "Nhiệt độ" not in titles


def test_room_dashboard_band_dew_point_swing_status_annotations(example_sites: list[SiteView]) -> None:
    room = all_dashboards(example_sites, DS)["room-QT-P1.json"]
    assert room["uid"] == room_uid("QT", "P1")
    panels = {p["title"]: p for p in iter_panels(room["panels"])}
    t = panels["Nhiệt độ"]
    assert t["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line+area"
    assert [s["value"] for s in t["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 10, 18, 22, 25]
    assert "dew_point_c" in panels["Điểm sương"]["targets"][0]["query"]
    swing = panels["Dao động nhiệt 24 h"]
    assert "spread" in swing["targets"][0]["query"] and "now() - 24h" in swing["targets"][0]["query"]
    assert swing["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] == 2
    assert "device_status" in panels["Trạng thái nút đo"]["targets"][0]["query"]
    assert "Mức khói (MQ-2)" in panels  # the room has smoke nodes
    names = [a["name"] for a in room["annotations"]["list"]]
    assert "Báo khói" in names and "Nút mất kết nối" in names
    assert room["templating"]["list"][0]["name"] == "device"


def test_overview_ranks_worst_rooms_first(example_sites: list[SiteView]) -> None:
    ov = all_dashboards(example_sites, DS)["overview.json"]
    assert ov["uid"] == OVERVIEW_UID
    worst = ov["panels"][0]
    assert worst["type"] == "table" and len(worst["targets"]) == 2
    sort = next(t for t in worst["transformations"] if t["id"] == "sortBy")
    assert sort["options"]["sort"][0]["desc"] is True


def test_committed_generated_files_are_current(tmp_path: Path) -> None:
    regenerate(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(GENERATED) for p in GENERATED.rglob("*") if p.is_file())
    assert fresh == committed
    for rel in fresh:
        assert (tmp_path / rel).read_text() == (GENERATED / rel).read_text(), (
            f"{rel} is stale: run .venv/bin/python -m dashboards.example"
        )


def test_render_command_writes_dashboards_and_provisioning(
    example_sessions, sqlite_url: str, tmp_path: Path, monkeypatch
) -> None:
    from kho.cli import app

    monkeypatch.setenv("KHO_DATABASE__URL", sqlite_url)
    monkeypatch.setenv("KHO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("KHO_GRAFANA__INFLUX_URL", "http://influxdb:8086")
    monkeypatch.setenv("KHO_INFLUX__PASSWORD", "s3cret-influx")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["grafana", "render", "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (out / "dashboards").glob("*.json"))
    assert names == ["overview.json", "room-QT-P1.json", "room-QT-P2.json", "wall-QT.json"]
    ds_text = (out / "provisioning" / "datasources" / "kho-influxdb.yaml").read_text()
    assert "s3cret-influx" not in ds_text  # secrets stay in the environment
    ds = yaml.safe_load(ds_text)["datasources"][0]
    assert ds["url"] == "http://influxdb:8086" and ds["uid"] == DS
    assert ds["secureJsonData"]["password"] == "$KHO_INFLUX__PASSWORD"
    prov = yaml.safe_load((out / "provisioning" / "dashboards" / "kho.yaml").read_text())["providers"][0]
    assert prov["type"] == "file" and prov["options"]["path"] == "/var/lib/grafana/dashboards/kho"
    res = CliRunner().invoke(app, ["grafana", "render", "--out", str(out), "--lang", "xx"])
    assert res.exit_code != 0 and "--lang" in res.output
