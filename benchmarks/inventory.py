"""Inventory benchmark: 1,000,000 boxes / 5,000,000 files on SQLite and PostgreSQL (``--quick``: 1/100).

Measures, per backend, against a real uvicorn server with a logged-in session cookie: box page, scan-to-page
(``/s/<token>`` + redirect) and search latency p50/p95 for 50 concurrent keepers (each opens a page, looks at
it for ~3 s on average (``--think``), scans the next), plus saturation throughput with wrk (50 connections
back to back); a 200-box shelf stocktake (start, 200 scans, result, confirm through the services), label PDF
throughput and the import of a 50,000-row workbook. The last output line is one JSON object (see ``summary``).
``--keep`` keeps the generated databases and reuses them on the next ``--keep`` run.

    .venv/bin/python benchmarks/inventory.py --quick
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inventory.auth import create_user
from inventory.db import make_engine, make_sessionmaker, session_scope
from inventory.labels import render_labels
from inventory.labels.source import label_records
from inventory.models import (
    Box,
    BoxStatus,
    Catalogue,
    File,
    Fonds,
    LabelToken,
    Room,
    Shelf,
    ShelvingUnit,
    Site,
    Slot,
)
from inventory.services import confirm_stocktake, scan_box, start_stocktake, stocktake_result
from inventory.spreadsheet.importer import import_file
from inventory.textnorm import normalize
from kho import db as kho_db
from kho.localservers import ensure_postgres, free_port

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = (
    "quyết định",
    "hồ sơ",
    "đất đai",
    "công văn",
    "báo cáo",
    "tờ trình",
    "biên bản",
    "hội nghị",
    "ngân sách",
    "quy hoạch",
    "xây dựng",
    "giao thông",
    "thủy lợi",
    "giáo dục",
    "y tế",
    "tổ chức",
    "cán bộ",
    "thanh tra",
    "khen thưởng",
    "kỷ luật",
    "tuyển dụng",
    "lương",
    "đầu tư",
    "dự án",
    "văn hóa",
    "nông nghiệp",
    "lâm nghiệp",
    "đê điều",
    "bầu cử",
    "dân số",
)
WORDS_NORM = tuple(normalize(w) for w in WORDS)
BOXES_PER_SLOT = 10
SLOTS_PER_SHELF = 20
SHELVES_PER_UNIT = 5
CHUNK = 20_000
USER, PASSWORD = "bench", "bench-password-123"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- data generation -------------------------------------------------------------------------------------------


def _bulk(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(model), rows[i : i + CHUNK])


def generate(engine: Engine, n_boxes: int, files_per_box: int = 5) -> dict[str, Any]:
    """Bulk-insert a site, shelving for every box, fonds/catalogues, boxes (placed), files and box label tokens."""
    rnd = random.Random(42)
    now = datetime.now(UTC)
    n_slots = -(-n_boxes // BOXES_PER_SLOT) + SLOTS_PER_SHELF  # + one spare shelf
    n_shelves = -(-n_slots // SLOTS_PER_SHELF)
    n_units = -(-n_shelves // SHELVES_PER_UNIT)
    n_rooms = max(1, n_units // 200)
    _bulk(
        engine,
        Site,
        [
            dict(
                id=1,
                code="BM",
                name="Kho lưu trữ benchmark",
                organisation="",
                timezone="Asia/Ho_Chi_Minh",
                created_at=now,
            )
        ],
    )
    _bulk(
        engine,
        Room,
        [
            dict(
                id=r,
                site_id=1,
                code=f"K{r}",
                name=f"Phòng kho {r}",
                climate_class="paper",
                climate_overrides={},
                created_at=now,
            )
            for r in range(1, n_rooms + 1)
        ],
    )
    _bulk(
        engine,
        ShelvingUnit,
        [
            dict(
                id=u,
                room_id=1 + (u - 1) % n_rooms,
                number=u,
                code=f"BM-G{u:05d}",
                name="",
                kind="shelving",
                created_at=now,
            )
            for u in range(1, n_units + 1)
        ],
    )
    _bulk(
        engine,
        Shelf,
        [
            dict(
                id=s,
                unit_id=1 + (s - 1) // SHELVES_PER_UNIT,
                number=1 + (s - 1) % SHELVES_PER_UNIT,
                code=f"BM-G{1 + (s - 1) // SHELVES_PER_UNIT:05d}-T{1 + (s - 1) % SHELVES_PER_UNIT}",
                created_at=now,
            )
            for s in range(1, n_shelves + 1)
        ],
    )
    slot_rows = []
    for sl in range(1, n_slots + 1):
        shelf = 1 + (sl - 1) // SLOTS_PER_SHELF
        slot_rows.append(
            dict(
                id=sl,
                shelf_id=shelf,
                number=1 + (sl - 1) % SLOTS_PER_SHELF,
                code=f"BM-S{sl:07d}",
                capacity_boxes=12,
                capacity_m=1.2,
                created_at=now,
            )
        )
    _bulk(engine, Slot, slot_rows)
    per_fonds = 10_000
    n_fonds = max(1, -(-n_boxes // per_fonds))
    _bulk(
        engine,
        Fonds,
        [
            dict(id=f, code=f"P{f}", name=f"Phông số {f}", organisation="", notes="", created_at=now)
            for f in range(1, n_fonds + 1)
        ],
    )
    cats = []
    for f in range(1, n_fonds + 1):
        for c in range(1, per_fonds // 1000 + 1):
            cats.append(dict(id=(f - 1) * 10 + c, fonds_id=f, number=c, title="", created_at=now))
    _bulk(engine, Catalogue, cats)
    log(f"shelving: {n_rooms} rooms, {n_units} units, {n_shelves} shelves, {n_slots} slots")

    box_id = 0
    file_id = 0
    tokens: list[str] = []
    with engine.begin() as conn:
        boxes: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        toks: list[dict[str, Any]] = []

        def flush() -> None:
            if boxes:
                conn.execute(insert(Box), boxes)
                conn.execute(insert(LabelToken), toks)
            if files:
                conn.execute(insert(File), files)
            boxes.clear()
            files.clear()
            toks.clear()

        for i in range(n_boxes):
            box_id += 1
            f = 1 + i // per_fonds
            c = 1 + (i % per_fonds) // 1000
            n = 1 + i % 1000
            code = f"P{f}-ML{c}-H{n:03d}"
            slot = 1 + i // BOXES_PER_SLOT
            y = 1960 + rnd.randrange(60)
            boxes.append(
                dict(
                    id=box_id,
                    catalogue_id=(f - 1) * 10 + c,
                    fonds_id=f,
                    number=n,
                    code=code,
                    title="",
                    date_from=date(y, 1, 1),
                    date_to=date(y + rnd.randrange(5), 12, 31),
                    media="paper",
                    processing_state="processed" if rnd.random() < 0.8 else "backlog",
                    condition="good",
                    width_m=0.1,
                    notes="",
                    home_slot_id=slot,
                    current_slot_id=slot,
                    status=BoxStatus.IN_PLACE.value,
                    custodian="",
                    checkout_purpose="",
                    status_since=now,
                    created_at=now,
                    version=1,
                )
            )
            tok = secrets.token_urlsafe(12)
            if (len(tokens) < 2000 and rnd.random() < 0.01) or len(tokens) < 20:
                tokens.append(tok)
            toks.append(dict(token=tok, kind="box", target_id=box_id, code=code, created_at=now))
            for k in range(1, files_per_box + 1):
                file_id += 1
                a, b, c2 = rnd.randrange(len(WORDS)), rnd.randrange(len(WORDS)), rnd.randrange(len(WORDS))
                title = f"Hồ sơ {WORDS[a]} {WORDS[b]} về {WORDS[c2]} năm {y}"
                files.append(
                    dict(
                        id=file_id,
                        box_id=box_id,
                        number=k,
                        title=title,
                        title_norm=f"ho so {WORDS_NORM[a]} {WORDS_NORM[b]} ve {WORDS_NORM[c2]} nam {y}",
                        date_from=date(y, 1, 1),
                        date_to=date(y, 12, 31),
                        retention_years=None if rnd.random() < 0.5 else 20,
                        pages=rnd.randrange(1, 200),
                        access="open",
                        condition="good",
                        notes="",
                    )
                )
            if len(files) >= CHUNK:
                flush()
            if box_id % 100_000 == 0:
                log(f"  {box_id} boxes, {file_id} files")
        flush()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in (
                "sites",
                "rooms",
                "shelving_units",
                "shelves",
                "slots",
                "fonds",
                "catalogues",
                "boxes",
                "files",
            ):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            conn.execute(text("ANALYZE"))
        # The files' words went into file_words through its triggers (migration i0007). The search reads it with
        # index-only scans, which need the visibility map: VACUUM it as autovacuum would after a bulk load (this
        # machine's server runs with autovacuum off).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if conn.scalar(text("SELECT to_regclass('file_words')")) is not None:
                conn.execute(text("VACUUM (ANALYZE) file_words"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    # the stocktake shelf: the first shelf holds exactly 20 slots × 10 boxes = 200 boxes
    return {"boxes": n_boxes, "files": file_id, "tokens": tokens, "max_box_id": box_id, "shelf_code": "BM-G00001-T1"}


# ---- HTTP load with wrk --------------------------------------------------------------------------------------------

LUA = """
local paths = {%s}
local n = #paths
math.randomseed(%d)
request = function()
  return wrk.format("GET", paths[math.random(n)])
end
done = function(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"p50\\": %%.3f, \\"p95\\": %%.3f, \\"requests\\": %%d, \\"non2xx\\": %%d, "
    .. "\\"errors\\": %%d}\\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def wrk(url: str, paths: list[str], cookie: str, seconds: int, tmp: Path, connections: int = 50) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk missing: apt-get install -y wrk")
    script = tmp / f"wrk-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(LUA % (", ".join(json.dumps(p) for p in paths), random.randrange(1 << 30)))
    res = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {res.stdout}\n{res.stderr}")
    out: dict[str, Any] = json.loads(line[8:])
    out["rps"] = round(out["requests"] / seconds, 1)
    return out


async def _keepers(
    url: str, paths: list[str], cookie: str, seconds: float, keepers: int, think_s: float
) -> dict[str, Any]:
    import asyncio

    lat: list[float] = []
    bad = 0
    limits = httpx.Limits(max_connections=keepers, max_keepalive_connections=keepers)
    async with httpx.AsyncClient(
        base_url=url, headers={"Cookie": cookie}, limits=limits, timeout=30, follow_redirects=True
    ) as client:
        end = time.monotonic() + seconds
        rnd = random.Random(11)

        async def keeper() -> None:
            nonlocal bad
            await asyncio.sleep(rnd.random() * think_s)  # keepers do not all start at once
            while time.monotonic() < end:
                t0 = time.perf_counter()
                try:
                    r = await client.get(rnd.choice(paths))
                except httpx.TransportError:  # counted, not fatal: a dropped connection is a result too
                    bad += 1
                    continue
                lat.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    bad += 1
                await asyncio.sleep(rnd.expovariate(1 / think_s))

        await asyncio.gather(*(keeper() for _ in range(keepers)))
    lat.sort()
    return {
        "p50": round(lat[len(lat) // 2], 2),
        "p95": round(lat[int(len(lat) * 0.95)], 2),
        "requests": len(lat),
        "non200": bad,
        "rps": round(len(lat) / seconds, 1),
    }


THINK_S = 3.0  # a keeper picks up a box, aims the phone, reads the page: one scan every few seconds at most


def keepers(
    url: str, paths: list[str], cookie: str, seconds: float, n: int = 50, think_s: float | None = None
) -> dict[str, Any]:
    """Latency seen by ``n`` keepers who each open a page, look at it (exponential think time, mean ``think_s``)
    and scan the next one: an open workload, unlike wrk's closed loop that measures saturation."""
    import asyncio

    return asyncio.run(_keepers(url, paths, cookie, seconds, n, think_s or THINK_S))


def serve(db_url: str, state_dir: str, port: int) -> None:
    """Child process: the real app on uvicorn."""
    import uvicorn

    from kho.app import create_app
    from kho.settings import load_settings

    settings = load_settings(
        None, database={"url": db_url}, state_dir=Path(state_dir), web={"public_base_url": f"http://127.0.0.1:{port}"}
    )
    # keep idle keep-alive connections longer than a keeper's think time (no close/reuse races)
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=120
    )


def start_server(db_url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", db_url, str(tmp / "state"), str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/login", timeout=1)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError("server exited") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def login_cookie(url: str) -> str:
    with httpx.Client(base_url=url) as c:
        r = c.post("/login", data={"username": USER, "password": PASSWORD, "next": "/"})
        if r.status_code not in (200, 303) or "kho_session" not in c.cookies:
            raise RuntimeError(f"login failed: {r.status_code}")
        return f"kho_session={c.cookies['kho_session']}"


# ---- one backend ---------------------------------------------------------------------------------------------------


def run_backend(
    name: str, db_url: str, n_boxes: int, seconds: int, tmp: Path, args: argparse.Namespace
) -> dict[str, Any]:
    log(f"== {name}: migrate + generate {n_boxes} boxes")
    kho_db.upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    t0 = time.perf_counter()
    out: dict[str, Any] = {}
    info = _reuse(sessions, n_boxes) if args.keep else None
    if info is None:
        info = generate(engine, n_boxes)
        log(f"generated {info['boxes']} boxes, {info['files']} files in {time.perf_counter() - t0:.1f} s")
        with session_scope(sessions) as s:
            create_user(s, USER, PASSWORD, role="keeper")
        out["generate_s"] = round(time.perf_counter() - t0, 1)
    else:
        log("reusing the data generated by an earlier --keep run")

    proc, url = start_server(db_url, tmp)
    try:
        cookie = login_cookie(url)
        rnd = random.Random(7)
        box_paths = [f"/box/{rnd.randrange(1, info['max_box_id'] + 1)}" for _ in range(2000)]
        scan_paths = [f"/s/{t}" for t in info["tokens"]]
        queries = (
            "quy hoạch",
            "đê điều",
            "ngân sách 1975",
            "thủy lợi",
            "P1-ML2",
            "khen thưởng kỷ luật",
            "P1-ML1-H01",
            "dự án đầu tư",
        )
        search_paths = [f"/search?q={quote(w)}" for w in queries]
        # sanity: every kind of request returns a page before measuring
        with httpx.Client(base_url=url, headers={"Cookie": cookie}) as c:
            for p in (box_paths[0], scan_paths[0], search_paths[0]):
                r = c.get(p)
                if r.status_code not in (200, 303):
                    raise RuntimeError(f"GET {p}: {r.status_code}")
            page = c.get(box_paths[0])
            out["box_page_bytes"] = len(page.content)
        # warm-up: the first random reads of a big database come from disk, not from the caches
        for warm in (box_paths, scan_paths, search_paths):
            wrk(url, warm, cookie, 4 if not args.quick else 2, tmp)
        # 50 keepers scanning (think time 1 s each): the latency targets;
        # saturation: 50 connections back to back (wrk), for throughput
        for key, what, fn, paths in (
            ("box_page", "box page, 50 keepers", keepers, box_paths),
            ("scan", "scan → page (/s/<token> + redirect), 50 keepers", keepers, scan_paths),
            ("search", "search, 50 keepers", keepers, search_paths),
            ("box_page_saturated", "box page saturated (wrk -c50)", None, box_paths),
            ("search_saturated", "search saturated (wrk -c50)", None, search_paths),
        ):
            try:
                out[key] = (
                    fn(url, paths, cookie, seconds, think_s=args.think) if fn else wrk(url, paths, cookie, seconds, tmp)
                )
            except Exception as e:  # one failed measurement must not lose the others
                out[key] = {"p50": None, "p95": None, "rps": None, "error": repr(e)}
            log(f"{what}: {out[key]}")
    finally:
        proc.terminate()
        proc.wait(30)

    out["stocktake_200_s"] = stocktake(sessions, info["shelf_code"])
    log(f"stocktake of 200 boxes: {out['stocktake_200_s']} s")
    if not args.skip_import:
        out["import_rows"], out["import_s"] = import_bench(sessions, tmp, 50_000 if not args.quick else 500)
        log(f"import {out['import_rows']} rows: {out['import_s']} s")
    out["_sessions"] = sessions
    out["_engine"] = engine
    return out


def _reuse(sessions: sessionmaker[Session], n_boxes: int) -> dict[str, Any] | None:
    """What ``generate`` returned, read back from a database kept by an earlier ``--keep`` run (None if absent)."""
    from sqlalchemy import func

    from inventory.models import User

    with session_scope(sessions) as s:
        if (
            s.scalar(select(func.count(Box.id)).where(Box.fonds_id.isnot(None), Box.code.like("P%-ML%"))) != n_boxes
            or s.scalar(select(User.id).where(User.username == USER)) is None
        ):
            return None
        rnd = random.Random(5)
        ids = rnd.sample(range(1, n_boxes + 1), min(2000, n_boxes))
        tokens = list(
            s.scalars(select(LabelToken.token).where(LabelToken.kind == "box", LabelToken.target_id.in_(ids[:1000])))
        )
        files = s.scalar(select(func.count(File.id))) or 0
    return {"boxes": n_boxes, "files": files, "tokens": tokens, "max_box_id": n_boxes, "shelf_code": "BM-G00001-T1"}


def stocktake(sessions: sessionmaker[Session], shelf_code: str) -> float:
    with session_scope(sessions) as s:
        codes = list(
            s.scalars(
                select(Box.code)
                .join(Slot, Slot.id == Box.home_slot_id)
                .join(Shelf, Shelf.id == Slot.shelf_id)
                .where(Shelf.code == shelf_code)
            )
        )
    assert len(codes) == 200, len(codes)
    scanned = codes[:-2]  # two boxes missing
    t0 = time.perf_counter()
    with session_scope(sessions) as s:
        st = start_stocktake(s, shelf_code, USER)
        sid = st.id
    for code in scanned:  # each scan is its own request/transaction on the phone
        with session_scope(sessions) as s:
            scan_box(s, sid, code)
    with session_scope(sessions) as s:
        res = stocktake_result(s, sid)
    with session_scope(sessions) as s:
        confirm_stocktake(s, sid, USER)
    dt = time.perf_counter() - t0
    assert len(res.missing) == 2, res
    return round(dt, 3)


def import_bench(sessions: sessionmaker[Session], tmp: Path, rows: int) -> tuple[int, float]:
    from openpyxl import Workbook

    path = tmp / f"import-{rows}.xlsx"
    if not path.exists():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Mục lục")
        ws.append(
            [
                "Số hộp",
                "Số hồ sơ",
                "Tiêu đề hồ sơ",
                "Thời gian bắt đầu",
                "Thời gian kết thúc",
                "Thời hạn bảo quản",
                "Số tờ",
                "Ghi chú",
            ]
        )
        rnd = random.Random(3)
        for i in range(rows):
            y = 1970 + rnd.randrange(50)
            ws.append(
                [
                    1 + i // 5,
                    i + 1,
                    f"Hồ sơ {rnd.choice(WORDS)} {rnd.choice(WORDS)} năm {y}",
                    f"01/01/{y}",
                    f"31/12/{y}",
                    rnd.choice(("Vĩnh viễn", "20 năm", "10 năm")),
                    rnd.randrange(1, 300),
                    "",
                ]
            )
        wb.save(path)
    t0 = time.perf_counter()
    with session_scope(sessions) as s:
        rep = import_file(
            s, path, actor="bench", fonds=f"IMP{uuid.uuid4().hex[:6]}", fonds_name="Phông nhập thử", catalogue=1
        )
    dt = time.perf_counter() - t0
    assert rep.files_created == rows, rep
    return rows, round(dt, 2)


def labels_bench(sessions: sessionmaker[Session], tmp: Path, n: int) -> float:
    with session_scope(sessions) as s:
        records = label_records(s, "boxes", "P1")[:n]
    t0 = time.perf_counter()
    render_labels(records, "https://kho.example.vn", tmp / "labels.pdf")
    dt = time.perf_counter() - t0
    log(f"labels: {len(records)} in {dt:.1f} s ({len(records) / dt:.0f}/s)")
    return round(len(records) / dt, 1)


def _pg_database(keep_name: str | None = None) -> tuple[str, Any]:
    import psycopg

    ensure_postgres()
    name = keep_name or f"kho_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1/100 of the data (10,000 boxes), shorter load runs")
    ap.add_argument("--boxes", type=int, default=None, help="override the number of boxes")
    ap.add_argument("--seconds", type=int, default=None, help="duration of each wrk run")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--think", type=float, default=THINK_S, help="mean think time of a keeper between scans (s)")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep the generated databases (/tmp/kho-bench-data, PostgreSQL kho_bench_<boxes>) and reuse "
        "them on the next --keep run",
    )
    args = ap.parse_args()
    n_boxes = args.boxes or (10_000 if args.quick else 1_000_000)
    seconds = args.seconds or (8 if args.quick else 20)
    n_labels = 1_000 if args.quick else 10_000
    tmp = Path(tempfile.mkdtemp(prefix="kho-bench-"))
    results: dict[str, dict[str, Any]] = {}
    drops = []
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                db_file = tmp / "bench.db"
                if args.keep:
                    keep_dir = Path("/tmp/kho-bench-data")
                    keep_dir.mkdir(exist_ok=True)
                    db_file = keep_dir / f"bench-{n_boxes}.db"
                url = f"sqlite:///{db_file}"
            else:
                url, drop = _pg_database(f"kho_bench_{n_boxes}" if args.keep else None)
                if not args.keep:
                    drops.append(drop)
            results[backend] = run_backend(backend, url, n_boxes, seconds, tmp, args)
        first = next(iter(results.values()))
        labels_per_s = labels_bench(first["_sessions"], tmp, n_labels)
        for r in results.values():
            r.pop("_sessions")
            r.pop("_engine").dispose()
    finally:
        for d in drops:
            d()
        shutil.rmtree(tmp, ignore_errors=True)
    log("details: " + json.dumps(results, default=str))
    summary = {
        "boxes": n_boxes,
        "box_page_p95_ms": {k: v["box_page"]["p95"] for k, v in results.items()},
        "box_page_p50_ms": {k: v["box_page"]["p50"] for k, v in results.items()},
        "scan_to_page_p95_ms": {k: v["scan"]["p95"] for k, v in results.items()},
        "box_page_max_rps": {k: v["box_page_saturated"]["rps"] for k, v in results.items()},
        "search_p95_ms": {k: v["search"]["p95"] for k, v in results.items()},
        "search_p50_ms": {k: v["search"]["p50"] for k, v in results.items()},
        "stocktake_200_s": statistics.median(v["stocktake_200_s"] for v in results.values()),
        "stocktake_200_s_by_backend": {k: v["stocktake_200_s"] for k, v in results.items()},
        "labels_per_s": labels_per_s,
        "import_50k_s": statistics.median(v["import_s"] for v in results.values()) if not args.skip_import else None,
        "import_s_by_backend": {k: v.get("import_s") for k, v in results.items()},
        "import_rows": 50_000 if not args.quick else 500,
        "keepers": 50,
        "think_s": args.think,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
