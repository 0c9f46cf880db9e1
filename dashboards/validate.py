"""Structural checks of dashboard JSON: what Grafana would silently mis-render or reject."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dashboards.panels import GRID_WIDTH

_GRAFANA_DS = {"-- Grafana --", "grafana"}
_VAR_RE = re.compile(r"\$(\w+)|\$\{(\w+)(?::\w+)?\}")
_BUILTIN_VARS = {"timeFilter", "__interval", "__interval_ms", "tag_device", "__all", "col", "m", "tag_site", "tag_room"}


def iter_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for p in panels:
        yield p
        yield from iter_panels(p.get("panels", []))


def iter_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(where, InfluxQL)`` of every panel target, annotation and template variable."""
    for p in iter_panels(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            yield f"panel {p.get('id')} {p.get('title')!r} target {t.get('refId')}", t["query"]
    for a in dashboard.get("annotations", {}).get("list", []):
        if "query" in a:
            yield f"annotation {a.get('name')!r}", a["query"]
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            yield f"variable {v.get('name')!r}", v["query"]


def _overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
    )


def validate_dashboard(d: dict[str, Any], datasource_uids: set[str]) -> list[str]:
    """Problems found in dashboard ``d`` (empty list when it is fine)."""
    problems: list[str] = []
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in d:
            problems.append(f"missing {key}")
    uid = d.get("uid", "")
    if not isinstance(uid, str) or not 0 < len(uid) <= 40 or not re.fullmatch(r"[A-Za-z0-9_-]+", uid):
        problems.append(f"uid {uid!r} must be 1–40 letters, digits, '-' or '_'")
    panels = list(iter_panels(d.get("panels", [])))
    ids = [p.get("id") for p in panels]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        problems.append(f"duplicate panel ids {sorted(str(i) for i in dupes)}")
    if any(not isinstance(i, int) or i < 1 for i in ids):
        problems.append("panel ids must be positive integers")
    top = d.get("panels", [])
    for i, p in enumerate(top):
        g = p.get("gridPos")
        if not g or any(not isinstance(g.get(k), int) for k in ("x", "y", "w", "h")):
            problems.append(f"panel {p.get('id')} has no valid gridPos")
            continue
        if g["x"] < 0 or g["y"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > GRID_WIDTH:
            problems.append(f"panel {p.get('id')} gridPos {g} is outside the 24-column grid")
        for q in top[i + 1 :]:
            if q.get("gridPos") and _overlaps(g, q["gridPos"]):
                problems.append(f"panels {p.get('id')} and {q.get('id')} overlap")
    var_names = {v.get("name") for v in d.get("templating", {}).get("list", [])}
    for p in panels:
        if p.get("type") in ("row", "text"):
            continue
        refs = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]
        for ref in refs:
            if not isinstance(ref, dict) or ref.get("uid") not in datasource_uids:
                problems.append(f"panel {p.get('id')} refers to unknown datasource {ref!r}")
        ref_ids = [t.get("refId") for t in p.get("targets", [])]
        if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
            problems.append(f"panel {p.get('id')} has missing or duplicate refIds")
        if not p.get("targets"):
            problems.append(f"panel {p.get('id')} has no query")
    for a in d.get("annotations", {}).get("list", []):
        ref = a.get("datasource", {})
        if ref.get("uid") not in datasource_uids | _GRAFANA_DS:
            problems.append(f"annotation {a.get('name')!r} refers to unknown datasource {ref!r}")
    for v in d.get("templating", {}).get("list", []):
        if not v.get("name") or not re.fullmatch(r"\w+", v["name"]):
            problems.append(f"template variable name {v.get('name')!r} is invalid")
        if v.get("type") == "query" and v.get("datasource", {}).get("uid") not in datasource_uids:
            problems.append(f"variable {v.get('name')!r} refers to an unknown datasource")
    for where, query in iter_queries(d):
        for m in _VAR_RE.finditer(query):
            name = m.group(1) or m.group(2)
            if name not in var_names and name not in _BUILTIN_VARS:
                problems.append(f"{where} uses undefined variable ${name}")
    return problems
