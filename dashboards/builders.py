"""The three kinds of dashboard: a wall display per site, a detail dashboard per room, one overview."""

from __future__ import annotations

import hashlib
import re

from dashboards import influxql as q
from dashboards.panels import (
    Grid,
    Json,
    dashboard,
    humidity_thresholds,
    stat,
    steps,
    target,
    temperature_thresholds,
    text,
    timeseries,
    value_map,
)
from dashboards.registry_view import RoomView, SiteView
from dashboards.texts import tr

TAG = "kho"


def datasource_ref(uid: str) -> Json:
    """How panels point at the InfluxDB datasource."""
    return {"type": "influxdb", "uid": uid}


def make_uid(*parts: str) -> str:
    """A stable dashboard uid (≤ 40 characters, Grafana's limit) from registry codes."""
    raw = "-".join(["kho", *parts]).lower()
    clean = re.sub(r"[^a-z0-9_-]", "-", raw)
    if len(clean) <= 40:
        return clean
    return clean[:31] + "-" + hashlib.sha1(raw.encode()).hexdigest()[:8]


def wall_uid(site: str) -> str:
    return make_uid("wall", site)


def room_uid(site: str, room: str) -> str:
    return make_uid("room", site, room)


OVERVIEW_UID = make_uid("overview")


def _smoke_mappings(lang: str) -> list[Json]:
    return value_map([(0, tr("no_smoke", lang), "green"), (1, tr("smoke_alarm", lang), "red")])


# A 1080p kiosk screen shows about 27 grid rows (30 px each plus margins) without scrolling.
SCREEN_ROWS = 27


def _room_tiles(grid: Grid, room: RoomView, ds: Json, lang: str, width: int, h: int) -> None:
    """Temperature, RH, smoke and offline-node tiles of one room, coloured by its limits."""
    lim = room.limits
    prefix = f"{room.label} · "
    wt = ws = wr = width // 4
    big = h >= 7
    band_t = f"{tr('target', lang)} {lim.target_t_c[0]:g}–{lim.target_t_c[1]:g} °C"
    band_rh = f"{tr('target', lang)} {lim.target_rh_pct[0]:g}–{lim.target_rh_pct[1]:g} %"
    grid.add(
        stat(
            prefix + tr("temperature", lang),
            [target(ds, q.last_value("temperature_c", room.site, room.code))],
            ds,
            unit="celsius",
            thresholds=temperature_thresholds(lim),
            big=big,
            description=band_t,
        ),
        wt,
        h,
    )
    grid.add(
        stat(
            prefix + tr("humidity", lang),
            [target(ds, q.last_value("humidity_pct", room.site, room.code))],
            ds,
            unit="percent",
            thresholds=humidity_thresholds(lim),
            big=big,
            description=band_rh,
        ),
        wt,
        h,
    )
    if room.smoke_devices or not room.devices:
        grid.add(
            stat(
                f"{room.code} · {tr('smoke', lang)}",
                [target(ds, q.smoke_state(room.site, room.code))],
                ds,
                decimals=0,
                thresholds=steps("green", (1, "red")),
                mappings=_smoke_mappings(lang),
                big=big,
            ),
            ws,
            h,
        )
    else:
        grid.add(text(f"{room.code} · {tr('smoke', lang)}", f"### {tr('no_detector', lang)}"), ws, h)
    grid.add(
        stat(
            f"{room.code} · {tr('offline', lang)}",
            [target(ds, q.offline_nodes(q.room_filter(room.site, room.code)))],
            ds,
            decimals=0,
            thresholds=steps("green", (1, "red")),
            big=big,
            no_value="0",
        ),
        wr,
        h,
    )


def wall_dashboard(site: SiteView, ds_uid: str, lang: str = "vi") -> Json:
    """One kiosk screen per site: a block of tiles per room, 30 s refresh, wall-sized fonts."""
    ds = datasource_ref(ds_uid)
    grid = Grid()
    per_line = 1 if len(site.rooms) <= 3 else 2
    width = 24 // per_line
    lines = max(1, -(-len(site.rooms) // per_line))
    # Fill one screen when the rooms fit; past that, keep tiles readable and let the kiosk scroll.
    h = min(13, max(5, SCREEN_ROWS // lines))
    for i, room in enumerate(site.rooms):
        if i % per_line == 0:
            grid.newline()
        _room_tiles(grid, room, ds, lang, width, h)
    if not site.rooms:
        grid.add(text(site.name, tr("no_rooms", lang)), 24, 4)
    links = [{"title": tr("overview", lang), "type": "link", "url": f"/d/{OVERVIEW_UID}", "icon": "dashboard"}]
    return dashboard(
        wall_uid(site.code),
        f"{tr('wall', lang)} — {site.name} ({site.code})",
        grid.panels,
        tags=[TAG, "wall", site.code],
        time_from="now-1h",
        links=links,
    )


def room_dashboard(room: RoomView, ds_uid: str, lang: str = "vi") -> Json:
    """A room's history: T and RH with the target band, dew point, 24 h swing, node status, alert marks."""
    ds = datasource_ref(ds_uid)
    lim = room.limits
    grid = Grid()
    s, r = room.site, room.code
    alias = "$tag_device"
    grid.add(
        timeseries(
            tr("temperature", lang),
            [target(ds, q.series("temperature_c", s, r), alias=alias)],
            ds,
            unit="celsius",
            thresholds=temperature_thresholds(lim),
            band=True,
        ),
        12,
        9,
    )
    grid.add(
        timeseries(
            tr("humidity", lang),
            [target(ds, q.series("humidity_pct", s, r), alias=alias)],
            ds,
            unit="percent",
            thresholds=humidity_thresholds(lim),
            band=True,
        ),
        12,
        9,
    )
    grid.add(
        timeseries(tr("dew_point", lang), [target(ds, q.series("dew_point_c", s, r), alias=alias)], ds, unit="celsius"),
        12,
        8,
    )
    grid.add(
        stat(
            tr("swing_t", lang),
            [target(ds, q.swing_24h("temperature_c", s, r))],
            ds,
            unit="celsius",
            thresholds=steps("green", (lim.swing_t_c, "red")),
            description=f"≤ {lim.swing_t_c:g} °C",
        ),
        6,
        4,
    )
    grid.add(
        stat(
            tr("swing_rh", lang),
            [target(ds, q.swing_24h("humidity_pct", s, r))],
            ds,
            unit="percent",
            thresholds=steps("green", (lim.swing_rh_pct, "red")),
            description=f"≤ {lim.swing_rh_pct:g} %",
        ),
        6,
        4,
    )
    grid.add(
        stat(
            tr("node_status", lang),
            [target(ds, q.node_status(s, r), alias=alias)],
            ds,
            decimals=0,
            thresholds=steps("red", (1, "green")),
            mappings=value_map([(1, tr("online", lang), "green"), (0, tr("offline_one", lang), "red")]),
            color_mode="background",
        ),
        12,
        4,
    )
    if room.smoke_devices or not room.devices:
        grid.add(
            timeseries(
                tr("smoke_level", lang),
                [target(ds, q.series("smoke_level", s, r), alias=alias)],
                ds,
                unit="percentunit",
                decimals=2,
                band=True,
                thresholds=steps("green", (lim.smoke_level_alert, "orange"), (lim.smoke_level_action, "red")),
            ),
            12,
            8,
        )
    grid.add(
        timeseries(
            tr("battery", lang), [target(ds, q.series("battery_v", s, r), alias=alias)], ds, unit="volt", decimals=2
        ),
        12,
        8,
    )
    device_var: Json = {
        "name": "device",
        "label": tr("node", lang),
        "type": "query",
        "datasource": ds,
        "query": q.device_values(s, r),
        "definition": q.device_values(s, r),
        "refresh": 2,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "hide": 0,
        "options": [],
        "regex": "",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }
    annotations: list[Json] = []
    if room.smoke_devices or not room.devices:
        annotations.append(
            {
                "name": tr("annotation_smoke", lang),
                "datasource": ds,
                "enable": True,
                "hide": False,
                "iconColor": "red",
                "query": q.annotation_smoke(s, r),
                "tagsColumn": "device",
                "textColumn": "smoke_level",
                "titleColumn": "",
            }
        )
    annotations += [
        {
            "name": tr("annotation_offline", lang),
            "datasource": ds,
            "enable": True,
            "hide": False,
            "iconColor": "orange",
            "query": q.annotation_offline(s, r),
            "tagsColumn": "device",
            "textColumn": "",
            "titleColumn": "",
        },
    ]
    links = [{"title": tr("wall", lang), "type": "link", "url": f"/d/{wall_uid(s)}", "icon": "dashboard"}]
    return dashboard(
        room_uid(s, r),
        f"{tr('room', lang)} {s}/{room.label}",
        grid.panels,
        tags=[TAG, "room", s],
        time_from="now-24h",
        refresh="1m",
        templating=[device_var],
        annotations=annotations,
        links=links,
    )


def overview_dashboard(sites: list[SiteView], ds_uid: str, lang: str = "vi") -> Json:
    """All sites: rooms ranked worst first, then each site's rooms as compact tiles."""
    ds = datasource_ref(ds_uid)
    grid = Grid()
    rooms = [room for site in sites for room in site.rooms]
    targets = [
        target(
            ds,
            q.room_score(room.site, room.code, room.limits.target_t_c, room.limits.target_rh_pct),
            ref_id=f"R{i}",
            alias=f"{room.site} / {room.label}",
        )
        for i, room in enumerate(rooms)
    ]
    worst: Json = {
        "type": "table",
        "title": tr("worst", lang),
        "description": tr("score_help", lang),
        "datasource": ds,
        "targets": targets,
        "transformations": [
            {"id": "reduce", "options": {"reducers": ["lastNotNull"], "mode": "seriesToRows"}},
            {"id": "sortBy", "options": {"sort": [{"field": "Last *", "desc": True}]}},
        ],
        "fieldConfig": {
            "defaults": {
                "decimals": 1,
                "color": {"mode": "thresholds"},
                "thresholds": steps("green", (1, "orange"), (2, "red"), (10, "dark-red")),
                "custom": {"cellOptions": {"type": "color-background"}, "align": "auto"},
            },
            "overrides": [],
        },
        "options": {"showHeader": True, "cellHeight": "lg"},
    }
    grid.add(worst, 24, max(6, min(3 + len(rooms), 16)))
    grid.add(
        stat(
            tr("offline", lang),
            [target(ds, q.offline_nodes())],
            ds,
            decimals=0,
            thresholds=steps("green", (1, "red")),
            no_value="0",
        ),
        24,
        4,
    )
    for site in sites:
        grid.row(f"{site.name} ({site.code})")
        for room in site.rooms:
            grid.add(
                stat(
                    f"{room.label} · {tr('temperature', lang)}",
                    [target(ds, q.last_value("temperature_c", room.site, room.code))],
                    ds,
                    unit="celsius",
                    thresholds=temperature_thresholds(room.limits),
                ),
                4,
                4,
            )
            grid.add(
                stat(
                    f"{room.label} · {tr('humidity', lang)}",
                    [target(ds, q.last_value("humidity_pct", room.site, room.code))],
                    ds,
                    unit="percent",
                    thresholds=humidity_thresholds(room.limits),
                ),
                4,
                4,
            )
    links = [{"title": "kho", "type": "dashboards", "tags": [TAG], "asDropdown": True}]
    return dashboard(OVERVIEW_UID, tr("overview", lang), grid.panels, tags=[TAG, "overview"], links=links)


def all_dashboards(sites: list[SiteView], ds_uid: str, lang: str = "vi") -> dict[str, Json]:
    """Every dashboard keyed by a file name: ``overview.json``, ``wall-<site>.json``, ``room-<site>-<room>.json``."""
    out: dict[str, Json] = {"overview.json": overview_dashboard(sites, ds_uid, lang)}
    for site in sites:
        out[f"wall-{site.code}.json"] = wall_dashboard(site, ds_uid, lang)
        for room in site.rooms:
            out[f"room-{site.code}-{room.code}.json"] = room_dashboard(room, ds_uid, lang)
    return out
