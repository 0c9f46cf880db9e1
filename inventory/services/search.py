"""Search boxes by code, fonds or words of file titles; every hit says where the box is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from inventory.errors import NotFound
from inventory.models import Box, Fonds, LabelKind
from inventory.services.labels import resolve_label
from inventory.services.views import slot_paths
from inventory.textnorm import words

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


def _fts(session: Session, terms: list[str], prefix: bool, limit: int) -> list[tuple[int, str]]:
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{t}"' for t in terms) + ("*" if prefix else "")
        sql = text("SELECT f.box_id, f.title FROM files_fts JOIN files f ON f.id = files_fts.rowid "
                   "WHERE files_fts MATCH :q LIMIT :n")
        rows = session.execute(sql, {"q": match, "n": limit})
    else:
        query = " & ".join([*terms[:-1], terms[-1] + (":*" if prefix else "")])
        sql = text("SELECT box_id, title FROM files WHERE to_tsvector('simple', title_norm) @@ "
                   "to_tsquery('simple', :q) LIMIT :n")
        rows = session.execute(sql, {"q": query, "n": limit})
    return [(int(r[0]), str(r[1])) for r in rows]


def _file_matches(session: Session, terms: list[str], limit: int) -> list[tuple[int, str]]:
    """(box_id, file title) of files whose title contains all ``terms``; whole words first, and only when those are
    too few the last term as a prefix (PostgreSQL cannot estimate prefix matches, so they are kept for last)."""
    rows = _fts(session, terms, False, limit)
    if len(rows) < limit and len(terms[-1]) >= 2:
        seen = set(rows)
        rows += [r for r in _fts(session, terms, True, limit) if r not in seen][: limit - len(rows)]
    return rows


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


def search(session: Session, query: str, limit: int = 30) -> list[SearchHit]:
    """Boxes matching ``query``: a scanned label or exact code first, then code prefixes, a fonds code, then file
    title words (diacritics and case ignored). At most ``limit`` hits, no duplicates."""
    q = query.strip()
    limit = max(1, min(limit, MAX_LIMIT))
    if not q:
        return []
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
    terms = words(q)
    if terms and len(order) < limit:
        for box_id, title in _file_matches(session, terms, limit * 3):
            if box_id not in matched:
                add([box_id])
            if box_id in matched and not matched[box_id]:
                matched[box_id] = title
    if not order:
        return []
    rows = {r.id: r for r in session.execute(
        select(Box.id, Box.code, Box.title, Box.status, Box.current_slot_id, Box.custodian, Fonds.code.label("fonds"))
        .join(Fonds, Fonds.id == Box.fonds_id).where(Box.id.in_(order)))}
    paths = slot_paths(session, [r.current_slot_id for r in rows.values() if r.current_slot_id])
    hits = []
    for i in order:
        r = rows[i]
        path = paths.get(r.current_slot_id) if r.current_slot_id else None
        hits.append(SearchHit(i, r.code, r.fonds, r.title, r.status,
                              path.code if path else r.custodian, path.room_name if path else "", matched[i]))
    return hits

