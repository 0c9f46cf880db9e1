"""Search boxes by code, fonds or words of file titles; every hit says where the box is."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Text, TextClause, bindparam, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from inventory.errors import NotFound
from inventory.models import Box, BoxStatus, Fonds, LabelKind, ReshelveTask
from inventory.services.labels import resolve_label
from inventory.services.movements import open_reshelve
from inventory.services.views import slot_paths
from inventory.textnorm import words

log = logging.getLogger(__name__)

MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A box found; ``location`` is its current slot code (or custodian when checked out)."""

    box_id: int
    code: str
    fonds: str
    title: str
    status: str
    location: str
    room: str
    matched: str  # the file title that matched, if the hit came from file words
    misplaced: bool = False  # in place, but not in its home slot
    reshelve: bool = False  # a stocktake asked for it to be taken back to its home slot
    home: str = ""  # code of its home slot


def _fts_sqlite(session: Session, terms: list[str], prefix: bool, limit: int) -> list[tuple[int, str]]:
    match = " ".join(f'"{t}"' for t in terms) + ("*" if prefix else "")
    sql = text(
        "SELECT f.box_id, f.title FROM files_fts JOIN files f ON f.id = files_fts.rowid "
        "WHERE files_fts MATCH :q LIMIT :n"
    )
    return [(int(r[0]), str(r[1])) for r in session.execute(sql, {"q": match, "n": limit})]


# ---- PostgreSQL: the word index ----------------------------------------------------------------------------------
# file_words(word COLLATE "C", file_id) with primary key (word, file_id), kept by triggers on files (migration
# i0007): the files of one word are one range of the B-tree, in file id order. A search reads the files of its
# rarest term in that order, checks the other terms on each file's title_norm and stops at its limit, so common
# words cost no more than rare ones. The rarest term is known from pg_stats for the most common words and from a
# count that stops at SCAN_CAP for the others.

SCAN_CAP = 10_000
"""Files of the driving (rarest) term that one window of a search pass looks at (~2 µs each). A query with a term
in fewer files than this gets every match from one window."""
SCAN_BUDGET = 10 * SCAN_CAP
"""Files of the driving term one search pass reads in all, window after window, while it has found too few
matches: only when every term is in more files than this and the terms are seldom together does a pass stop
early (~200 ms of one core at worst, where the GIN index read every file of every term), and the results then say
they may be incomplete."""

MAX_WORD_BYTES = 2047  # longer words are not in file_words (see i0007): they are only checked on the titles
_STATS_TTL_S = 300.0
_stats_cache: dict[str, tuple[float, dict[str, float]]] = {}


@dataclass(frozen=True, slots=True)
class _Term:
    word: str
    prefix: bool  # True: any word starting with ``word``

    def indexed(self) -> bool:
        return len(self.word.encode()) <= MAX_WORD_BYTES

    def bounds(self) -> tuple[str, str]:
        """[low, high) of the words that start with ``word`` in code point ("C" collation) order."""
        last = ord(self.word[-1])
        if last >= 0x10FFFF:
            return self.word, self.word + "\U0010ffff"
        nxt = last + 1 if last + 1 != 0xD800 else 0xE000  # skip the surrogates, which UTF-8 cannot hold
        return self.word, self.word[:-1] + chr(nxt)

    def needle(self) -> str:
        """What ``' ' || title_norm || ' '`` contains when the title has this term (title_norm: words, one space)."""
        return f" {self.word}" if self.prefix else f" {self.word} "


def _common_word_files(session: Session) -> dict[str, float]:
    """Estimated number of files of each of the most common words (pg_stats of file_words, cached a while)."""
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    cached = _stats_cache.get(key)
    if cached is not None and now - cached[0] < _STATS_TTL_S:
        return cached[1]
    row = session.execute(
        text(
            "SELECT s.most_common_vals::text::text[], s.most_common_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.oid = to_regclass('file_words') "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'file_words' AND s.attname = 'word'"
        )
    ).first()
    common: dict[str, float] = {}
    if row is not None and row[0] is not None and row[2] > 0:
        common = {w: f * float(row[2]) for w, f in zip(row[0], row[1], strict=True)}
    _stats_cache[key] = (now, common)
    return common


def _literal_sql(sql: str, params: dict[str, str | int]) -> TextClause:
    """``sql`` with its parameters rendered as literals (escaped by SQLAlchemy). A server-side prepared statement
    (psycopg prepares a statement run 5 times) could get a generic plan from PostgreSQL, built for an average word;
    with literals every plan is made for the words and limits at hand."""
    return text(sql).bindparams(
        *(
            bindparam(k, v, type_=Integer if isinstance(v, int) else Text, literal_execute=True)
            for k, v in params.items()
        )
    )


def _range(t: _Term, i: int | str, params: dict[str, str | int], after: tuple[str, int] | None = None) -> str:
    """WHERE condition of ``t``'s entries in file_words (past the entry ``after``, if given), its parameters, and
    the index order."""
    if t.prefix:
        params[f"lo{i}"], params[f"hi{i}"] = t.bounds()
        past = ""
        if after is not None:
            params[f"aw{i}"], params[f"af{i}"] = after
            past = f" AND (word, file_id) > (:aw{i}, :af{i})"
        return f"word >= :lo{i} AND word < :hi{i}{past} ORDER BY word, file_id"
    params[f"w{i}"] = t.word
    past = ""
    if after is not None:
        params[f"af{i}"] = after[1]
        past = f" AND file_id > :af{i}"
    return f"word = :w{i}{past} ORDER BY file_id"


def _term_files(session: Session, terms: list[_Term], known: dict[_Term, float]) -> list[float]:
    """Number of files of each term: exact below SCAN_CAP (a count that stops there, in one statement for all the
    terms), else the pg_stats estimate or SCAN_CAP. ``known`` keeps them for the next pass of the same search."""
    common = _common_word_files(session)
    est: list[float | None] = []
    for t in terms:
        if t in known:
            est.append(known[t])
        elif not t.indexed():
            est.append(float("inf"))  # never the driving term
        else:
            # Below SCAN_CAP an exact count is cheap and beats an estimate.
            n = sum(f for w, f in common.items() if w.startswith(t.word)) if t.prefix else common.get(t.word, 0.0)
            est.append(n if n >= SCAN_CAP else None)
    todo = [i for i, e in enumerate(est) if e is None]
    if todo:
        params: dict[str, str | int] = {"cap": SCAN_CAP}
        cols = [
            f"(SELECT count(*) FROM (SELECT 1 FROM file_words WHERE {_range(terms[i], i, params)} LIMIT :cap) AS c{i})"
            for i in todo
        ]
        counts = session.execute(_literal_sql("SELECT " + ", ".join(cols), params)).one()
        for i, n in zip(todo, counts, strict=True):
            est[i] = float(n)
    out = [e if e is not None else 0.0 for e in est]
    known.update(zip(terms, out, strict=True))
    return out


def _words_pg(
    session: Session, terms: list[str], prefix: bool, limit: int, known: dict[_Term, float]
) -> tuple[list[tuple[int, str]], bool]:
    """(box_id, title) of files whose title has every term as a word (the last one as a prefix if ``prefix``),
    in the order of the rarest term's files; at most ``limit``, no file twice. The flag is False when the pass
    stopped at SCAN_BUDGET with fewer than ``limit``: there may be more matches."""
    wanted = dict.fromkeys(_Term(t, prefix and i == len(terms) - 1) for i, t in enumerate(terms))
    if prefix and _Term(terms[-1], False) in wanted:  # "ke ke*": the whole word already has the prefix
        wanted.pop(_Term(terms[-1], True))
    ts = list(wanted)
    if any(known.get(t) == 0 for t in ts):
        return [], True  # the whole-word pass found a word that no title has
    est = _term_files(session, ts, known)
    if min(est) == 0 or min(est) == float("inf"):
        return [], True  # a term that no title has, or only words too long to be indexed
    d = min(range(len(ts)), key=lambda i: (est[i], ts[i].prefix))
    checks = []
    check_params: dict[str, str | int] = {}
    for i, t in enumerate(ts):
        if i != d:
            check_params[f"c{i}"] = t.needle()
            checks.append(f"strpos(' ' || f.title_norm || ' ', :c{i}) > 0")
    seen: set[int] = set()
    out: list[tuple[int, str]] = []
    after: tuple[str, int] | None = None
    for window in range(SCAN_BUDGET // SCAN_CAP):
        params: dict[str, str | int] = {"cap": SCAN_CAP, "n": limit - len(out), **check_params}
        driver = _range(ts[d], "", params, after)
        # The driving term's entries in index order (ORDER BY pins the ordered index scan: no bitmap or sequential
        # scan that would read all of them first); LIMIT 1 keeps the files lookup a parameterised inner side of a
        # nested loop, so the whole plan streams and stops at :n.
        sql = (
            "SELECT d.file_id, f.box_id, f.title "
            f"FROM (SELECT file_id FROM file_words WHERE {driver} LIMIT :cap) AS d "
            "CROSS JOIN LATERAL (SELECT box_id, title, title_norm FROM files WHERE id = d.file_id LIMIT 1) AS f"
            + (" WHERE " + " AND ".join(checks) if checks else "")
            + " LIMIT :n"
        )
        for file_id, box_id, title in session.execute(_literal_sql(sql, params)):
            if file_id not in seen:  # a prefix can match two words of one title
                seen.add(file_id)
                out.append((int(box_id), str(title)))
        if len(out) >= limit or est[d] < SCAN_CAP:
            return out, True  # enough, or the term's files were fewer than one window (exact count)
        # Where the next window starts: the last entry of this one (an index-only skip of SCAN_CAP entries).
        edge_params: dict[str, str | int] = {}
        edge_sql = (
            f"SELECT word, file_id FROM file_words WHERE {_range(ts[d], '', edge_params, after)} "
            f"OFFSET {SCAN_CAP - 1} LIMIT 1"
        )
        edge = session.execute(_literal_sql(edge_sql, edge_params)).first()
        if edge is None:
            return out, True  # the window held all the term's remaining files: every match was seen
        after = (str(edge[0]), int(edge[1]))
        log.debug("search pass %r: window %d had too few matches, reading on", terms, window + 1)
    return out, False


def _file_matches(session: Session, terms: list[str], limit: int) -> tuple[list[tuple[int, str]], bool]:
    """(box_id, file title) of files whose title contains all ``terms``; whole words first, and only when those are
    too few the last term as a prefix. The flag is False when a pass may have missed matches (SCAN_BUDGET)."""
    known: dict[_Term, float] = {}

    def matches(prefix: bool) -> tuple[list[tuple[int, str]], bool]:
        if session.get_bind().dialect.name == "sqlite":
            return _fts_sqlite(session, terms, prefix, limit), True
        return _words_pg(session, terms, prefix, limit, known)

    rows, complete = matches(False)
    if len(rows) < limit and len(terms[-1]) >= 2:
        seen = set(rows)
        more, complete_more = matches(True)
        rows += [r for r in more if r not in seen][: limit - len(rows)]
        complete = complete and complete_more
    return rows, complete


def _code_prefix(session: Session, prefix: str, limit: int) -> list[int]:
    """Ids of boxes whose code starts with ``prefix``, in code order, through the code index."""
    order: ColumnElement[str] | InstrumentedAttribute[str]
    if session.get_bind().dialect.name == "sqlite":
        # GLOB is case sensitive, so SQLite can use the code index for the prefix.
        cond = Box.code.op("GLOB")(prefix.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") + "*")
        order = Box.code
    else:
        # Compare and order in the "C" collation so the ix_boxes_code_c index serves both (any database locale).
        code_c = Box.code.collate("C")
        # Backslash is PostgreSQL's default LIKE escape; an explicit ESCAPE clause would hide the prefix from the
        # planner.
        cond = code_c.like(prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        order = code_c
    return list(session.scalars(select(Box.id).where(cond).order_by(order).limit(limit)))


class SearchResults(list[SearchHit]):
    """The hits, plus ``incomplete``: True when fewer than the limit were found and a word search stopped at its
    budget (very common words seldom together, PostgreSQL only), so more matches may exist: add a word."""

    incomplete: bool = False


def _code_part(session: Session, fragment: str, limit: int) -> list[int]:
    """Ids of boxes whose code contains ``fragment`` anywhere ("H001", "ML3-H001": what a keeper reads off the tail
    of a label), in code order. A scan of the code column that stops at ``limit``; only run for fragments that
    look like part of a code."""
    if session.get_bind().dialect.name == "sqlite":
        cond = func.instr(Box.code, fragment) > 0
        order: ColumnElement[str] | InstrumentedAttribute[str] = Box.code
    else:
        cond = func.strpos(Box.code, fragment) > 0
        order = Box.code.collate("C")
    return list(session.scalars(select(Box.id).where(cond).order_by(order).limit(limit)))


_BOX_TAIL = re.compile(r"^(.*H)(\d{1,2})$")


def _search_ids(session: Session, q: str, limit: int) -> tuple[list[int], dict[int, str], bool]:
    """Box ids matching ``q`` in the order the hits are shown (at most ``limit``), the file title that matched each
    (or ""), and whether the word search saw every match."""
    order: list[int] = []
    matched: dict[int, str] = {}

    def add(ids: list[int]) -> None:
        for i in ids:
            if i not in matched and len(order) < limit:
                order.append(i)
                matched[i] = ""

    try:
        target = resolve_label(session, q)
        if target.kind == LabelKind.BOX:
            add([target.target_id])
    except NotFound:
        pass
    code = q.upper()
    if len(code) >= 2 and " " not in code:
        add(_code_prefix(session, code, limit))
        if session.scalar(select(Fonds.id).where(Fonds.code == code)) is not None:
            # Box codes start with "<fonds>-", so the code index also serves "all boxes of a fonds" in order.
            add(_code_prefix(session, code + "-", limit))
        if len(code) >= 3 and any(c.isdigit() for c in code) and len(order) < limit:
            add(_code_part(session, code, limit))
            m = _BOX_TAIL.match(code)
            if m:  # "H1" as printed on the label: "H001"
                add(_code_part(session, f"{m.group(1)}{int(m.group(2)):03d}", limit))
    terms = words(q)
    complete = True
    if terms and len(order) < limit:
        found, complete = _file_matches(session, terms, limit * 3)
        for box_id, title in found:
            if box_id not in matched:
                add([box_id])
            if box_id in matched and not matched[box_id]:
                matched[box_id] = title
    return order, matched, complete


def _hits(session: Session, order: list[int], matched: dict[int, str]) -> list[SearchHit]:
    if not order:
        return []
    rows = {
        r.id: r
        for r in session.execute(
            select(
                Box.id,
                Box.code,
                Box.title,
                Box.status,
                Box.current_slot_id,
                Box.home_slot_id,
                Box.custodian,
                Fonds.code.label("fonds"),
                ReshelveTask.box_id.label("reshelve"),
            )
            .join(Fonds, Fonds.id == Box.fonds_id)
            .outerjoin(ReshelveTask, open_reshelve())
            .where(Box.id.in_(order))
        )
    }
    paths = slot_paths(session, [x for r in rows.values() for x in (r.current_slot_id, r.home_slot_id) if x])
    out = []
    for i in order:
        r = rows[i]
        path = paths.get(r.current_slot_id) if r.current_slot_id else None
        home = paths.get(r.home_slot_id) if r.home_slot_id else None
        out.append(
            SearchHit(
                i,
                r.code,
                r.fonds,
                r.title,
                r.status,
                path.code if path else r.custodian,
                path.room_name if path else "",
                matched[i],
                misplaced=bool(path and home and path.slot_id != home.slot_id and r.status == BoxStatus.IN_PLACE),
                reshelve=r.reshelve is not None,
                home=home.code if home else "",
            )
        )
    return out


def search(session: Session, query: str, limit: int = 30) -> SearchResults:
    """Boxes matching ``query``: a scanned label or exact code first, then code prefixes, a fonds code, any part
    of a code, then file title words (diacritics and case ignored). At most ``limit`` hits, no duplicates."""
    q = query.strip()
    limit = max(1, min(limit, MAX_LIMIT))
    hits = SearchResults()
    if not q:
        return hits
    order, matched, complete = _search_ids(session, q, limit)
    hits.incomplete = not complete and len(order) < limit
    hits.extend(_hits(session, order, matched))
    return hits


PAGE_SIZE = 30
COUNT_CAP = 1000
"""Matches a results page counts and pages through; past it the page says "more than 1000: add a word"."""


@dataclass
class SearchPage:
    """One page of the results, the number of matches (``total``, at most COUNT_CAP: ``more`` says there are
    more) and the page number (from 1) and count."""

    hits: list[SearchHit]
    total: int
    more: bool
    page: int
    pages: int
    incomplete: bool


def search_page(session: Session, query: str, page: int = 1, per_page: int = PAGE_SIZE) -> SearchPage:
    """Page ``page`` of the matches of ``query`` (same order as ``search``), with their count."""
    q = query.strip()
    if not q:
        return SearchPage([], 0, False, 1, 0, False)
    order, matched, complete = _search_ids(session, q, COUNT_CAP + 1)
    more = len(order) > COUNT_CAP
    order = order[:COUNT_CAP]
    pages = max(1, -(-len(order) // per_page))
    page = max(1, min(page, pages))
    shown = order[(page - 1) * per_page : page * per_page]
    return SearchPage(_hits(session, shown, matched), len(order), more, page, pages, not complete and not more)
