"""The climate sections of the room and box pages: latest value per sensor against the room's targets, and
charts of 24 h / 7 d / 30 d with the target band and the alert periods.

Data comes from two objects the composition root puts on ``app.state`` (inventory imports neither package):
``history_provider`` (``collector.history.ClimateHistory``) and ``alert_periods_provider`` (alerts). When one is
absent or fails, the section says "no data" instead of breaking the page.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.charts import CHART_CSS, Line, Span, time_chart
from inventory.climate import ClimateLimits, limits_for
from inventory.models import BoxEvent, Room
from inventory.services.views import slot_paths
from inventory.timezone import local_zone

log = logging.getLogger(__name__)
PERIODS = {"24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
DEFAULT_STALE_S = 600


class HistoryProvider(Protocol):
    def sensors(self, site: str, room: str, max_age_s: int = ...) -> list[dict[str, Any]]: ...

    def series(self, site: str, room: str, since_ms: int, until_ms: int, now_ms: int | None = None) -> dict[str, Any]:
        """``{"bucket_s": int, "series": {field: [(ms, value), …]}}``."""
        ...


class AlertPeriodsProvider(Protocol):
    def periods(self, room_id: int, since_ms: int, until_ms: int) -> list[dict[str, Any]]:
        """Alerts of the room overlapping the window: ``start_ms``, ``end_ms`` (None if open), ``severity``,
        ``title``."""
        ...


def level(value: float | None, target: tuple[float, float], outer: tuple[float, float]) -> str:
    """``ok`` inside the target band, ``warn`` outside it, ``bad`` outside the outer limits, ``none`` without data."""
    if value is None:
        return "none"
    if value < outer[0] or value > outer[1]:
        return "bad"
    if value < target[0] or value > target[1]:
        return "warn"
    return "ok"


def smoke_level(row: dict[str, Any], limits: ClimateLimits) -> str:
    """``bad`` when the detector is in alarm or the level is past the action threshold, ``warn`` past the alert one."""
    if row.get("smoke"):
        return "bad"
    lvl = row.get("smoke_level")
    if lvl is None:
        return "none" if row.get("smoke") is None else "ok"
    if lvl >= limits.smoke_level_action:
        return "bad"
    return "warn" if lvl >= limits.smoke_level_alert else "ok"


def room_limits(room: Room) -> ClimateLimits:
    """The room's effective limits; a broken override falls back to the class defaults (shown, never fatal)."""
    try:
        return limits_for(room.climate_class, room.climate_overrides)
    except ValueError:
        log.warning("room %s has invalid climate overrides; using class defaults", room.id)
        return limits_for(room.climate_class)


@dataclass
class SensorRow:
    device: str
    values: dict[str, Any]
    levels: dict[str, str]
    ts_ms: int | None
    age_min: int | None
    stale: bool


def _stale_after(state: Any) -> int:
    settings = getattr(state, "settings", None)
    return int(getattr(getattr(settings, "web", None), "stale_after_s", DEFAULT_STALE_S) or DEFAULT_STALE_S)


def sensor_rows(rows: list[dict[str, Any]], limits: ClimateLimits, now_ms: int, stale_after_s: int) -> list[SensorRow]:
    """The latest values of each sensor with their level against ``limits`` and their age."""
    out = []
    for r in rows:
        ts = r.get("ts_ms")
        age = None if ts is None else max(int((now_ms - ts) / 60000), 0)
        out.append(
            SensorRow(
                device=str(r.get("device", "")),
                values=r,
                levels={
                    "temperature_c": level(r.get("temperature_c"), limits.target_t_c, limits.outer_t_c),
                    "humidity_pct": level(r.get("humidity_pct"), limits.target_rh_pct, limits.outer_rh_pct),
                    "smoke": smoke_level(r, limits),
                },
                ts_ms=ts,
                age_min=age,
                stale=ts is None or now_ms - ts > stale_after_s * 1000,
            )
        )
    return out


def headline(rows: list[SensorRow]) -> dict[str, Any] | None:
    """The room's values from its fresh sensors (means; smoke if any): the page's big numbers when no other
    source gives them."""
    fresh = [r for r in rows if not r.stale] or rows
    if not fresh:
        return None

    def mean(field: str) -> float | None:
        vals = [r.values[field] for r in fresh if r.values.get(field) is not None]
        return sum(vals) / len(vals) if vals else None

    return {
        "temperature_c": mean("temperature_c"),
        "humidity_pct": mean("humidity_pct"),
        "dew_point_c": mean("dew_point_c"),
        "smoke": any(r.values.get("smoke") for r in fresh),
        "ts_ms": max((r.ts_ms for r in fresh if r.ts_ms), default=None),
    }


def _periods(state: Any, room_id: int, since_ms: int, until_ms: int) -> list[Span]:
    provider = getattr(state, "alert_periods_provider", None)
    if provider is None:
        return []
    try:
        rows = provider.periods(room_id, since_ms, until_ms)
    except Exception:
        log.warning("alert periods provider failed", exc_info=True)
        return []
    return [Span(r["start_ms"], r.get("end_ms"), r.get("severity", "warning"), r.get("title", "")) for r in rows]


def charts(
    state: Any,
    t: Any,
    site: str,
    room: str,
    room_id: int,
    limits: ClimateLimits,
    since_ms: int,
    until_ms: int,
    chart_prefix: str = "chart",
) -> dict[str, Any] | None:
    """The temperature (with dew point) and humidity charts of a window; None when there is no history source,
    ``{"error": True}`` when it failed."""
    provider = getattr(state, "history_provider", None)
    if provider is None:
        return None
    try:
        data = provider.series(site, room, since_ms, until_ms, int(time.time() * 1000))
    except Exception:
        log.warning("climate history failed", exc_info=True)
        return {"error": True}
    series = data.get("series", {})
    gap = int(data.get("bucket_s", 600)) * 1000 * 3
    spans = _periods(state, room_id, since_ms, until_ms)
    t_chart = time_chart(
        [
            Line("temperature_c", t("temperature"), series.get("temperature_c", []), "t", gap),
            Line("dew_point_c", t("w_dew_point"), series.get("dew_point_c", []), "dp", gap),
        ],
        since_ms,
        until_ms,
        unit="°C",
        tz=local_zone(),
        band=limits.target_t_c,
        spans=spans,
        chart_id=f"{chart_prefix}-t",
        title=t("temperature"),
    )
    rh_chart = time_chart(
        [Line("humidity_pct", t("humidity"), series.get("humidity_pct", []), "rh", gap)],
        since_ms,
        until_ms,
        unit="%",
        tz=local_zone(),
        band=limits.target_rh_pct,
        spans=spans,
        chart_id=f"{chart_prefix}-rh",
        title=t("humidity"),
    )
    empty = not any(series.get(f) for f in ("temperature_c", "humidity_pct"))
    return {
        "t": t_chart,
        "rh": rh_chart,
        "empty": empty,
        "hourly": bool(data.get("hourly")),
        "error": False,
        "series": series,
    }


def room_climate(state: Any, t: Any, session: Session, room_id: int, period: str) -> dict[str, Any]:
    """Context of the room page's climate section (``period`` one of ``PERIODS``)."""
    room = session.get_one(Room, room_id)
    limits = room_limits(room)
    site = room.site.code
    now_ms = int(time.time() * 1000)
    provider = getattr(state, "history_provider", None)
    sensors: list[SensorRow] | None = None
    error = False
    if provider is not None:
        try:
            sensors = sensor_rows(provider.sensors(site, room.code), limits, now_ms, _stale_after(state))
        except Exception:
            log.warning("latest sensor values failed", exc_info=True)
            error = True
    period = period if period in PERIODS else "24h"
    since = now_ms - PERIODS[period] * 1000
    return {
        "headline": headline(sensors or []),
        "limits": limits,
        "sensors": sensors,
        "sensors_error": error,
        "period": period,
        "periods": list(PERIODS),
        "charts": charts(state, t, site, room.code, room.id, limits, since, now_ms),
        "css": Markup(CHART_CSS),
    }


def arrived_in_room(session: Session, box_id: int, room_id: int) -> datetime | None:
    """When the box came into ``room_id`` (the start of its latest unbroken stay there)."""
    rows = list(
        session.execute(
            select(BoxEvent.at, BoxEvent.to_slot_id)
            .where(BoxEvent.box_id == box_id, BoxEvent.to_slot_id.is_not(None))
            .order_by(BoxEvent.at.desc(), BoxEvent.id.desc())
            .limit(500)
        )
    )
    paths = slot_paths(session, [r[1] for r in rows])
    arrived = None
    for at, slot_id in rows:
        path = paths.get(slot_id) if slot_id is not None else None
        if path is None or path.room_id != room_id:
            break
        arrived = at
    return arrived


def box_climate(state: Any, t: Any, session: Session, box_id: int, room_id: int) -> dict[str, Any] | None:
    """Context of the box page's "climate since it arrived" section; None when the box is not in a room."""
    if getattr(state, "history_provider", None) is None:
        return None
    arrived = arrived_in_room(session, box_id, room_id)
    if arrived is None:
        return None
    room = session.get_one(Room, room_id)
    limits = room_limits(room)
    now_ms = int(time.time() * 1000)
    since = max(int(arrived.timestamp() * 1000), now_ms - 365 * 86400 * 1000)
    since = min(since, now_ms - 3600 * 1000)  # at least an hour, so a box placed a minute ago still gets a chart
    ch = charts(state, t, room.site.code, room.code, room.id, limits, since, now_ms, chart_prefix="box-chart")
    summary: dict[str, tuple[float, float, float]] = {}
    if ch and not ch.get("error"):
        for f in ("temperature_c", "humidity_pct"):
            vals = [v for _, v in ch["series"].get(f, [])]
            if vals:
                summary[f] = (min(vals), sum(vals) / len(vals), max(vals))
    return {"arrived": arrived, "charts": ch, "limits": limits, "summary": summary, "css": Markup(CHART_CSS)}
