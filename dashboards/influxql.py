"""InfluxQL the dashboards run against measurements ``climate`` and ``device_status`` (collector.influx_schema).

Queries keep Grafana's macros (``$timeFilter``, ``$__interval``) and template variables; tests substitute
them and run every query against a real influxd.
"""

from __future__ import annotations

from collector.influx_schema import CLIMATE, ONLINE_FIELD, STATUS, ident, literal

__all__ = ["CLIMATE", "ONLINE_FIELD", "STATUS", "ident", "literal"]


def room_filter(site: str, room: str) -> str:
    """``WHERE`` terms selecting one room's series."""
    return f"{ident('site')} = {literal(site)} AND {ident('room')} = {literal(room)}"


def last_value(field: str, site: str, room: str) -> str:
    """The room's latest value of ``field`` (mean over its nodes' latest values)."""
    return (
        f"SELECT mean({ident(field)}) FROM (SELECT last({ident(field)}) AS {ident(field)} FROM {ident(CLIMATE)} "
        f"WHERE {room_filter(site, room)} AND $timeFilter GROUP BY {ident('device')})"
    )


def smoke_state(site: str, room: str) -> str:
    """1 when any node of the room last reported smoke, else 0."""
    return (
        f"SELECT max({ident('smoke')}) FROM (SELECT last({ident('smoke')}) AS {ident('smoke')} "
        f"FROM {ident(CLIMATE)} WHERE {room_filter(site, room)} AND $timeFilter GROUP BY {ident('device')})"
    )


def offline_nodes(where: str | None = None) -> str:
    """How many nodes (matching ``where``) last announced themselves offline, over 7 days of status history.

    Status is written only on changes, so the window is wider than the dashboard's time range.
    """
    cond = f"{where} AND " if where else ""
    return (
        f"SELECT sum({ident('offline')}) FROM (SELECT 1 - last({ident(ONLINE_FIELD)}) AS {ident('offline')} "
        f"FROM {ident(STATUS)} WHERE {cond}time > now() - 7d GROUP BY {ident('device')})"
    )


def series(field: str, site: str, room: str, device_var: str | None = "device") -> str:
    """A per-node time series of ``field`` in the room, averaged per ``$__interval``."""
    dev = f" AND {ident('device')} =~ /^${device_var}$/" if device_var else ""
    return (
        f"SELECT mean({ident(field)}) AS {ident(field)} FROM {ident(CLIMATE)} WHERE {room_filter(site, room)}{dev} "
        f"AND $timeFilter GROUP BY time($__interval), {ident('device')} fill(none)"
    )


def swing_24h(field: str, site: str, room: str) -> str:
    """Largest per-node range (max − min) of ``field`` over the last 24 h."""
    return (
        f"SELECT max({ident('swing')}) FROM (SELECT spread({ident(field)}) AS {ident('swing')} FROM {ident(CLIMATE)} "
        f"WHERE {room_filter(site, room)} AND time > now() - 24h GROUP BY {ident('device')})"
    )


def node_status(site: str, room: str) -> str:
    """Each node's latest online (1) / offline (0) state."""
    return (
        f"SELECT last({ident(ONLINE_FIELD)}) AS {ident('online')} FROM {ident(STATUS)} "
        f"WHERE {room_filter(site, room)} AND time > now() - 7d GROUP BY {ident('device')}"
    )


def room_score(site: str, room: str, t: tuple[float, float], rh: tuple[float, float]) -> str:
    """How far the room is from its targets, in half-band units (≤ 1 inside both bands); smoke scores 10.

    The worst node's latest value counts; ``max`` over several subqueries is InfluxQL's only way to take
    the maximum of differently computed values.
    """
    w = room_filter(site, room)
    dev = ident("device")

    def dev_of(field: str, band: tuple[float, float]) -> str:
        mid, half = (band[0] + band[1]) / 2, max((band[1] - band[0]) / 2, 0.1)
        return (
            f"(SELECT abs(last({ident(field)}) - {mid:g}) / {half:g} AS {ident('score')} FROM {ident(CLIMATE)} "
            f"WHERE {w} AND $timeFilter GROUP BY {dev})"
        )

    smoke = (
        f"(SELECT 10 * last({ident('smoke')}) AS {ident('score')} FROM {ident(CLIMATE)} "
        f"WHERE {w} AND $timeFilter GROUP BY {dev})"
    )
    return f"SELECT max({ident('score')}) FROM {dev_of('temperature_c', t)}, {dev_of('humidity_pct', rh)}, {smoke}"


def annotation_smoke(site: str, room: str) -> str:
    """Points where a node of the room reported smoke."""
    return (
        f"SELECT {ident('smoke_level')}, {ident('device')} FROM {ident(CLIMATE)} WHERE {room_filter(site, room)} "
        f"AND {ident('smoke')} = 1 AND $timeFilter"
    )


def annotation_offline(site: str, room: str) -> str:
    """Moments a node of the room went offline."""
    return (
        f"SELECT {ident(ONLINE_FIELD)}, {ident('device')} FROM {ident(STATUS)} WHERE {room_filter(site, room)} "
        f"AND {ident(ONLINE_FIELD)} = 0 AND $timeFilter"
    )


def device_values(site: str, room: str) -> str:
    """Template-variable query: the nodes that wrote climate data in the room."""
    return f"SHOW TAG VALUES FROM {ident(CLIMATE)} WITH KEY = {ident('device')} WHERE {room_filter(site, room)}"
