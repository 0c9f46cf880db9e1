"""When a schedule is due: ``every <N><m|h|d|w>`` counted from ``starts_at``, or cron in the site's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from inventory.services.cleaning import parse_interval

# Cron lines are walked forward from a bounded point: a short window first (cheap for hourly lines), wider if empty.
CRON_WINDOWS = (timedelta(days=2), timedelta(days=40), timedelta(days=400))


def _cron(recurrence: str, tz: str) -> CronTrigger:
    return CronTrigger.from_crontab(recurrence, timezone=tz)


def latest_due(
    recurrence: str, starts_at: datetime, now: datetime, tz: str = "UTC", since: datetime | None = None
) -> datetime | None:
    """The most recent occurrence at or before ``now`` and after ``since`` (None if there is none)."""
    if now < starts_at:
        return None
    interval = parse_interval(recurrence)
    if interval is not None:
        k = (now - starts_at) // interval
        due = (starts_at + k * interval).astimezone(UTC)
        return due if since is None or due > since else None
    trigger = _cron(recurrence, tz)
    floor = starts_at if since is None else max(starts_at, since + timedelta(microseconds=1))
    for window in CRON_WINDOWS:
        start = max(floor, now - window)
        prev: datetime | None = None
        fire = trigger.get_next_fire_time(None, start)
        while fire is not None and fire <= now:
            prev = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if prev is not None:
            return prev.astimezone(UTC)
        if start == floor:
            break
    return None


def next_due(recurrence: str, starts_at: datetime, after: datetime, tz: str = "UTC") -> datetime | None:
    """The first occurrence strictly after ``after``."""
    interval = parse_interval(recurrence)
    if interval is not None:
        if after < starts_at:
            return starts_at.astimezone(UTC)
        k = (after - starts_at) // interval + 1
        return (starts_at + k * interval).astimezone(UTC)
    fire = _cron(recurrence, tz).get_next_fire_time(None, max(after + timedelta(microseconds=1), starts_at))
    return fire.astimezone(UTC) if fire is not None else None
