"""Word search over file titles, on SQLite (FTS5) and PostgreSQL (file_words, kept by triggers).

The word index must follow every way files change (ORM, bulk Core, updates, deletes, the spreadsheet import), and
``search`` must find exactly what a plain Python filter over the titles finds: whole words first, then the last
term as a prefix, case and diacritics ignored, at most ``limit`` boxes and none twice.
"""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, delete, event, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from inventory import auth
from inventory import services as sv
from inventory.db import make_engine, make_sessionmaker, session_scope
from inventory.models import Box, File
from inventory.spreadsheet.importer import import_file
from inventory.textnorm import normalize, words
from kho import db as kho_db
from tests.conftest import _fresh_pg_database
from tests.inventory.conftest import World
from tests.inventory.tools.conftest import ROWS, write_xlsx

# the module (inventory.services exports the function ``search`` under the same name)
search_mod = importlib.import_module("inventory.services.search")

# ---- the index follows the files -----------------------------------------------------------------------------------


def _is_pg(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _expected_index(s: Session) -> set[tuple[str, int]]:
    return {(w, fid) for fid, tn in s.execute(select(File.id, File.title_norm)) for w in tn.split()}


def _index(s: Session) -> set[tuple[str, int]]:
    """What the backend's word index holds, as (word, file id) pairs."""
    if _is_pg(s):
        return {(w, int(f)) for w, f in s.execute(text("SELECT word, file_id FROM file_words"))}
    # FTS5: ask it for every word the titles have (and a few they no longer have), file by file.
    vocab = {w for w, _ in _expected_index(s)} | {"rong", "ho", "dat", "bo", "sung", "moi"}
    out = set()
    for w in vocab:
        for (fid,) in s.execute(text("SELECT rowid FROM files_fts WHERE files_fts MATCH :q"), {"q": f'"{w}"'}):
            out.add((w, int(fid)))
    return out


def _assert_index_follows(s: Session) -> None:
    expected = _expected_index(s)
    assert expected, "no files: the check would prove nothing"
    assert _index(s) == expected


def test_index_follows_orm_and_core_writes(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as s:
        _assert_index_follows(s)  # the seeded boxes, created through the ORM
        box = world.box_ids["P12-ML3-H004"]
        s.execute(
            insert(File), [{"box_id": box, "number": 10 + i, "title": f"Sổ ruộng đất đất {i}"} for i in range(50)]
        )
        s.flush()
        _assert_index_follows(s)  # bulk Core insert (one statement for many rows); "dat" twice in a title
        f = s.scalar(select(File).where(File.number == 10))
        assert f is not None
        f.title, f.title_norm = "Hồ sơ rừng phòng hộ", normalize("Hồ sơ rừng phòng hộ")  # ORM update
        s.flush()
        _assert_index_follows(s)
        s.execute(update(File).where(File.number.between(11, 20)).values(title_norm="bo sung"))  # Core update
        s.execute(update(File).where(File.number == 21).values(pages=3))  # not the title: nothing to do
        s.flush()
        _assert_index_follows(s)
        assert ("bo", s.scalar(select(File.id).where(File.number == 11))) in _index(s)
        s.execute(delete(File).where(File.number.between(30, 59)))  # Core delete of many
        s.delete(s.get_one(File, f.id))  # ORM delete
        s.flush()
        _assert_index_follows(s)
        s.execute(delete(Box).where(Box.id == box))  # the files go by ON DELETE CASCADE
        s.flush()
        _assert_index_follows(s)
        assert not any(fid > 8 for _, fid in _index(s))  # the seeded files were 1..8
        s.commit()
        assert sv.search(s, "ruộng") == [] and sv.search(s, "bo sung") == []


def test_index_follows_spreadsheet_import(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with session_scope(sessions) as s:
        import_file(s, write_xlsx(tmp_path / "a.xlsx", ROWS), actor="a", fonds="P12", catalogue=3, fonds_name="UBND")
    with session_scope(sessions) as s:
        _assert_index_follows(s)
        assert [h.code for h in sv.search(s, "đức trọng")] == ["P12-ML3-H001"]
    changed = [list(r) for r in ROWS]
    changed[0][3] = "Quyết định giao rừng huyện Lạc Dương"  # re-import: an update of the title
    changed.append([6, 3, 6, "Hồ sơ mới về thủy lợi", "2001", "2001", "5 năm", 7, ""])
    with session_scope(sessions) as s:
        rep = import_file(s, write_xlsx(tmp_path / "b.xlsx", changed), actor="a", fonds="P12", catalogue=3)
        assert (rep.files_created, rep.files_updated) == (1, 1)
    with session_scope(sessions) as s:
        _assert_index_follows(s)
        assert sv.search(s, "đức trọng") == []
        assert [h.code for h in sv.search(s, "lạc dương")] == ["P12-ML3-H001"]
        assert [h.code for h in sv.search(s, "thuy loi")] == ["P12-ML3-H003"]


def test_emptying_files_empties_the_index(sessions: sessionmaker[Session], world: World) -> None:
    """PostgreSQL: TRUNCATE (no row triggers fire); SQLite has no TRUNCATE, DELETE without WHERE fires them."""
    with sessions() as s:
        assert _index(s)
        s.execute(text("TRUNCATE files" if _is_pg(s) else "DELETE FROM files"))
        assert s.scalar(select(File.id)) is None
        assert _index(s) == set()


# ---- search gives what a plain filter gives ------------------------------------------------------------------------

VOCAB = [
    "quyết định",
    "hồ sơ",
    "đất đai",
    "công văn",
    "báo cáo",
    "ngân sách",
    "quy hoạch",
    "xây dựng",
    "thủy lợi",
    "đê điều",
    "khen thưởng",
    "kỷ luật",
    "dự án",
    "đầu tư",
]
RARE = ["Khánh Hòa", "kênh mương", "Tây Nguyên"]


def _make_corpus(s: Session, n_boxes: int, files_per_box: int, seed: int = 1) -> None:
    """Boxes P20-ML1-H…; titles from a small vocabulary (every word common) plus a few rare words."""
    rnd = random.Random(seed)
    sv.create_fonds(s, "P20", "Phông thử")
    boxes = [sv.create_box(s, sv.BoxIn("P20", 1, n), "t") for n in range(1, n_boxes + 1)]
    rows: list[dict[str, Any]] = []
    for b in boxes:
        for k in range(1, files_per_box + 1):
            title = f"Hồ sơ {rnd.choice(VOCAB)} {rnd.choice(VOCAB)} năm {1970 + rnd.randrange(30)}"
            if rnd.random() < 0.01:
                title += " " + rnd.choice(RARE)
            rows.append({"box_id": b.id, "number": k, "title": title})
    # rare words, also next to common ones ("đê điều" is in ~14 % of the titles, "Tây Nguyên" in 3)
    for n, title in (
        (3, "Hồ sơ đê điều vùng Tây Nguyên năm 1991"),
        (n_boxes * 2 // 3, "Báo cáo đê điều Tây Nguyên"),
        (n_boxes // 3, "Kênh mương quy hoạch xã"),
        (n_boxes - 1, "Quy chế tỉnh Khánh Hòa"),
        (n_boxes // 2, "Dự án kênh mương Tây Nguyên"),
    ):
        rows.append({"box_id": boxes[n].id, "number": files_per_box + 1, "title": title})
    s.execute(insert(File), rows)
    s.commit()
    if _is_pg(s):  # what autovacuum does: statistics and the visibility map (for index-only scans)
        with s.get_bind().engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) file_words"))
    search_mod._stats_cache.clear()


def _reference(s: Session, query: str) -> tuple[set[int], set[int], int]:
    """Boxes whose files have every term as a whole word; boxes where the last term may be a prefix; how many
    files match either way."""
    terms = words(query)
    whole: set[int] = set()
    pref: set[int] = set()
    n_files = 0
    for box_id, tn in s.execute(select(File.box_id, File.title_norm)):
        ws = tn.split()
        w = all(t in ws for t in terms)
        p = len(terms[-1]) >= 2 and all(t in ws for t in terms[:-1]) and any(x.startswith(terms[-1]) for x in ws)
        if w:
            whole.add(box_id)
        if p:
            pref.add(box_id)
        n_files += w or p
    return whole, pref, n_files


def _file_hits(s: Session, query: str, limit: int) -> list[int]:
    return [h.box_id for h in sv.search(s, query, limit) if h.matched]


QUERIES = [
    "quy hoạch",
    "đê điều",
    "ngân sách 1975",
    "khen thưởng kỷ luật",
    "dự án đầu tư",
    "hồ sơ",
    "khánh hòa",
    "kênh mương quy",
    "tây nguyên đê điều",
    "thủy lợi kỷ luật đầu tư 1980",
    "quyết định công",
    "xây dựng nă",
    "khánh",
    "kênh mươ",
    "đê điều khánh hòa tây nguyên",
    "không có",
    "thủy lợi xyz",
    "đất đai đất",
    "HỒ SƠ NĂM 1999",
]


@pytest.mark.parametrize("scan_cap", [None, 40])
def test_search_matches_a_plain_filter(
    sessions: sessionmaker[Session], scan_cap: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole words, rare combinations of common words, prefixes, no match: the same boxes as the reference.
    With a small SCAN_CAP (every vocabulary word is then "common") the passes read window after window of the
    rarest term's files and find the same boxes."""
    if scan_cap is not None:
        monkeypatch.setattr(search_mod, "SCAN_CAP", scan_cap)
    with sessions() as s:
        _make_corpus(s, n_boxes=120, files_per_box=5)
        complete = 0
        for q in QUERIES:
            whole, pref, n_files = _reference(s, q)
            hits = _file_hits(s, q, 100)
            assert len(hits) == len(set(hits)), q
            assert set(hits) <= whole | pref, q
            # whole-word matches come before the boxes found only through the prefix
            first_prefix_only = next((i for i, b in enumerate(hits) if b not in whole), len(hits))
            assert all(b not in whole for b in hits[first_prefix_only:]), q
            # search reads up to 3 × limit files and shows up to limit boxes
            if n_files <= 300 and len(whole | pref) <= 100:
                assert set(hits) == whole | pref, q
                complete += 1
            if len(whole) == 120:  # every box: 300 files of which the search reads 300, so at least 60 boxes
                assert len(hits) >= 60 and set(hits) <= whole, q
            assert not sv.search(s, q, 100).incomplete, q
        assert complete >= 10
        # a rare word drives the search: complete even with a tiny cap
        for q in ("khánh hòa", "tây nguyên đê điều", "kênh mương quy"):
            whole, pref, _ = _reference(s, q)
            assert whole or pref, q
            assert set(_file_hits(s, q, 100)) == whole | pref, q
        assert _file_hits(s, "không có", 100) == [] and _file_hits(s, "thủy lợi xyz", 100) == []


def test_search_limit_and_order(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        _make_corpus(s, n_boxes=60, files_per_box=5)
        whole, _, _ = _reference(s, "hồ sơ")
        # search reads up to 3 × limit matching files, in file order, and shows their boxes once each
        first = [b for b, tn in s.execute(select(File.box_id, File.title_norm).order_by(File.id)) if "ho so" in tn][:21]
        hits = sv.search(s, "hồ sơ", 7)
        assert [h.box_id for h in hits] == list(dict.fromkeys(first)) and {h.box_id for h in hits} <= whole
        assert all("Hồ sơ" in h.matched for h in hits)
        assert len(sv.search(s, "hồ sơ", 2)) == 2
        # the whole word "quy" first, then the prefix ("quyet")
        both, pref, _ = _reference(s, "quy")
        hits = sv.search(s, "quy", 100)
        ids = [h.box_id for h in hits]
        assert set(ids) == both | pref and ids[: len(both)] == [b for b in ids if b in both]


# ---- PostgreSQL plans: stream and stop at the limit ----------------------------------------------------------------


@pytest.fixture
def pg_sessions(postgres_available: None) -> Iterator[sessionmaker[Session]]:
    """A migrated PostgreSQL database only (the plans below are PostgreSQL's)."""
    url, drop = _fresh_pg_database()
    try:
        kho_db.upgrade(url)
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()
    finally:
        drop()


def _plans(s: Session, query: str) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE) of every statement ``search`` sends that reads file_words."""
    captured: list[tuple[str, Any]] = []

    def grab(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "FROM file_words" in statement and not statement.startswith("EXPLAIN"):
            captured.append((statement, parameters))

    bind = s.connection()
    event.listen(bind, "before_cursor_execute", grab)
    try:
        sv.search(s, query)
    finally:
        event.remove(bind, "before_cursor_execute", grab)
    out = []
    for statement, parameters in captured:
        row = bind.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
        out.append((row if isinstance(row, list) else json.loads(row))[0]["Plan"])
    return out


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for p in plan.get("Plans", []):
        yield from _nodes(p)


def _read(plan: dict[str, Any], table: str) -> int:
    return sum(n["Actual Rows"] * n.get("Actual Loops", 1) for n in _nodes(plan) if n.get("Relation Name") == table)


@pytest.mark.postgres
def test_pg_plans_stream_and_stop_at_the_limit(
    pg_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """4,000 files; with SCAN_CAP 1,000 the words in every title ("hồ sơ") are common ones, known from pg_stats,
    and each vocabulary phrase (in ~14 % of the titles) is counted. Every plan is a chain of index scans (no
    sequential scan, sort or hash), and the search reads about as many file_words entries as it needs."""
    monkeypatch.setattr(search_mod, "SCAN_CAP", 1000)
    with pg_sessions() as s:
        _make_corpus(s, n_boxes=800, files_per_box=5)
        s.execute(text("ANALYZE files"))
        # query -> (most file_words entries its search queries may read, how many of them count)
        cases = {
            "hồ sơ": (90, 0),
            "quy hoạch": (90, 2),
            "khánh hòa": (200, 3),
            "đê điều khánh": (200, 5),
            "không có": (0, 2),
            "ngân sách 1975": (300, 6),
            "tây nguyên đê điều": (200, 5),
        }
        for q, (most_read, n_counts) in cases.items():
            plans = _plans(s, q)
            for plan in plans:
                kinds = {n["Node Type"] for n in _nodes(plan)}
                assert not kinds & {
                    "Seq Scan",
                    "Sort",
                    "Hash",
                    "Hash Join",
                    "Bitmap Heap Scan",
                    "Materialize",
                    "Merge Join",
                }, (q, kinds)
            mains = [p for p in plans if any(n.get("Relation Name") == "files" for n in _nodes(p))]
            counts = [p for p in plans if p not in mains]
            terms = sum(1 for p in counts for n in _nodes(p) if n.get("Relation Name") == "file_words")
            assert terms <= n_counts, (q, terms)
            for p in counts:  # a count stops at SCAN_CAP entries per term
                assert _read(p, "file_words") <= 1000 * len(words(q)), q
            for p in mains:
                assert _read(p, "file_words") <= most_read, (q, _read(p, "file_words"))
            assert bool(mains) == (q != "không có"), q
        # "hồ sơ" is in every title: the search reads exactly as many entries as the rows it returns
        (main,) = _plans(s, "hồ sơ")
        assert _read(main, "file_words") == 90 and main["Actual Rows"] == 90


def test_a_pass_that_stops_at_its_budget_says_so(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the budget cut to one small window, two common words seldom together are not all found; the results
    then say they may be incomplete (PostgreSQL; SQLite's FTS5 always reads everything)."""
    monkeypatch.setattr(search_mod, "SCAN_CAP", 40)
    monkeypatch.setattr(search_mod, "SCAN_BUDGET", 40)
    with sessions() as s:
        _make_corpus(s, n_boxes=120, files_per_box=5)
        q = "đê điều kỷ luật"  # each word in ~85 of the 600 titles, all of them together in a few
        whole, pref, _ = _reference(s, q)
        assert len(whole | pref) >= 3
        res = sv.search(s, q, 100)
        found = {h.box_id for h in res if h.matched}
        assert found <= whole | pref
        if s.get_bind().dialect.name == "sqlite":
            assert found == whole | pref and not res.incomplete
        else:
            assert found != whole | pref and res.incomplete
        monkeypatch.setattr(search_mod, "SCAN_BUDGET", 10_000)
        res = sv.search(s, q, 100)
        assert {h.box_id for h in res if h.matched} == whole | pref and not res.incomplete


def test_page_and_api_say_when_results_may_be_incomplete(
    client_factory: Callable[..., TestClient],
    world: World,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search_mod, "SCAN_CAP", 40)
    monkeypatch.setattr(search_mod, "SCAN_BUDGET", 40)
    with sessions() as s:
        _make_corpus(s, n_boxes=120, files_per_box=5)
        pg = _is_pg(s)
    c = client_factory("viewer")
    page = c.get("/search", params={"q": "đê điều kỷ luật"})
    assert page.status_code == 200
    assert ("thêm một từ" in page.text) is pg
    with sessions() as s:
        secret = auth.create_token(s, "t-search", "viewer")
        s.commit()
    r = c.get("/api/inventory/search", params={"q": "đê điều kỷ luật"}, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200 and r.json()
    assert (r.headers.get("x-kho-search-incomplete") == "true") is pg
    # a query whose words are rare enough is complete: no note
    page = c.get("/search", params={"q": "khánh hòa"})
    assert "thêm một từ" not in page.text and "Khánh Hòa" in page.text
