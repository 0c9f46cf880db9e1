"""Grafana panel JSON builders (schemaVersion 39, Grafana 10–11) and a grid that places them without overlap."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inventory.climate import ClimateLimits

Json = dict[str, Any]

GRID_WIDTH = 24


@dataclass
class Grid:
    """Places panels left to right, wrapping at 24 columns; ids are handed out in order."""

    x: int = 0
    y: int = 0
    row_height: int = 0
    next_id: int = 1
    panels: list[Json] = field(default_factory=list)

    def add(self, panel: Json, w: int, h: int) -> Json:
        """Put ``panel`` at the next free place of width ``w`` and height ``h``."""
        if self.x + w > GRID_WIDTH:
            self.newline()
        panel["id"] = self.next_id
        self.next_id += 1
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_height = max(self.row_height, h)
        self.panels.append(panel)
        return panel

    def newline(self) -> None:
        """Continue below the tallest panel of the current line."""
        if self.x:
            self.y += self.row_height
        self.x, self.row_height = 0, 0

    def row(self, title: str) -> Json:
        """A full-width collapsible row header."""
        self.newline()
        panel = self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, GRID_WIDTH, 1)
        self.newline()
        return panel


def target(ds: Json, query: str, ref_id: str = "A", alias: str = "", fmt: str = "time_series") -> Json:
    """A raw InfluxQL target."""
    t: Json = {"refId": ref_id, "datasource": ds, "query": query, "rawQuery": True, "resultFormat": fmt}
    if alias:
        t["alias"] = alias
    return t


def steps(base: str, *points: tuple[float, str]) -> Json:
    """Absolute thresholds: ``base`` colour below the first point, then each colour from its value up."""
    return {
        "mode": "absolute",
        "steps": [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in points],
    }


def band_thresholds(target_band: tuple[float, float], outer: tuple[float, float]) -> Json:
    """Red outside the outer limits, orange between outer and target, green inside the target band."""
    return steps("red", (outer[0], "orange"), (target_band[0], "green"), (target_band[1], "orange"), (outer[1], "red"))


def temperature_thresholds(limits: ClimateLimits) -> Json:
    return band_thresholds(limits.target_t_c, limits.outer_t_c)


def humidity_thresholds(limits: ClimateLimits) -> Json:
    return band_thresholds(limits.target_rh_pct, limits.outer_rh_pct)


def stat(
    title: str,
    targets: list[Json],
    ds: Json,
    *,
    unit: str = "none",
    decimals: int | None = 1,
    thresholds: Json | None = None,
    mappings: list[Json] | None = None,
    big: bool = False,
    no_value: str = "—",
    color_mode: str = "background",
    description: str = "",
) -> Json:
    """A single-value tile; ``big`` uses wall-display font sizes (readable from 3 m at 1080p)."""
    defaults: Json = {
        "unit": unit,
        "color": {"mode": "thresholds"},
        "noValue": no_value,
        "thresholds": thresholds or steps("blue"),
        "mappings": mappings or [],
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    options: Json = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": color_mode,
        "graphMode": "none",
        "justifyMode": "center",
        "textMode": "value",
        "orientation": "auto",
        "wideLayout": True,
        "showPercentChange": False,
    }
    if big:
        options["text"] = {"titleSize": 30, "valueSize": 90}
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": ds,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
    }


def timeseries(
    title: str,
    targets: list[Json],
    ds: Json,
    *,
    unit: str,
    thresholds: Json | None = None,
    band: bool = False,
    description: str = "",
    decimals: int | None = 1,
) -> Json:
    """A time series panel; ``band`` draws the thresholds as coloured areas (the room's target band)."""
    custom: Json = {
        "drawStyle": "line",
        "lineWidth": 2,
        "fillOpacity": 0,
        "spanNulls": 600000,
        "showPoints": "never",
        "thresholdsStyle": {"mode": "line+area" if band else "off"},
    }
    defaults: Json = {
        "unit": unit,
        "custom": custom,
        "color": {"mode": "palette-classic"},
        "thresholds": thresholds or steps("green"),
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": ds,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    }


def value_map(entries: list[tuple[int, str, str]]) -> list[Json]:
    """Value mappings ``value → (text, colour)`` for state tiles."""
    return [
        {
            "type": "value",
            "options": {
                str(v): {"text": text, "color": color, "index": i} for i, (v, text, color) in enumerate(entries)
            },
        }
    ]


def text(title: str, content: str) -> Json:
    """A markdown panel."""
    return {"type": "text", "title": title, "options": {"mode": "markdown", "content": content}}


def dashboard(
    uid: str,
    title: str,
    panels: list[Json],
    *,
    tags: list[str],
    refresh: str = "30s",
    time_from: str = "now-6h",
    templating: list[Json] | None = None,
    annotations: list[Json] | None = None,
    links: list[Json] | None = None,
) -> Json:
    """A whole dashboard (dark style, browser time zone, stable ``uid``)."""
    builtin: Json = {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "timezone": "browser",
        "schemaVersion": 39,
        "style": "dark",
        "editable": True,
        "graphTooltip": 1,
        "refresh": refresh,
        "liveNow": False,
        "time": {"from": time_from, "to": "now"},
        "fiscalYearStartMonth": 0,
        "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m", "15m"]},
        "templating": {"list": templating or []},
        "annotations": {"list": [builtin, *(annotations or [])]},
        "links": links or [],
        "panels": panels,
    }
