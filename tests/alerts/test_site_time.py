"""One time-zone rule, the site's: quiet hours, the alerts page, pages' dates and overdue-cleaning notices."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from alerts import messages
from inventory import registry, timezone
from inventory.db import session_scope
from inventory.models import Site
from tests.alerts.conftest import add_webhook_contact, alerts_in, fast_settings, make_registry, reading

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def set_zone(sessions: sessionmaker[Session], code: str, tz: str) -> None:
    with session_scope(sessions) as s:
        s.execute(update(Site).where(Site.code == code).values(timezone=tz))


def test_zone_names_fall_back_to_the_default_never_fail() -> None:
    assert timezone.zone(None) == HCM and timezone.zone("") == HCM
    assert timezone.zone("Mars/Base") == HCM
    assert timezone.zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        timezone.check_timezone("Mars/Base")


def test_each_site_has_its_zone_and_no_site_means_the_first_sites(sqlite_sessions) -> None:
    with session_scope(sqlite_sessions) as s:
        assert timezone.installation_zone(s) == HCM  # no site yet
        registry.create_site(s, "PA", "Paris")
        registry.create_site(s, "HN", "Hà Nội")
    set_zone(sqlite_sessions, "PA", "Europe/Paris")
    with sqlite_sessions() as s:
        assert timezone.site_zone(s, "HN") == HCM
        assert timezone.site_zone(s, "PA") == ZoneInfo("Europe/Paris")
        assert timezone.site_zone(s, "") == ZoneInfo("Europe/Paris")  # system: the first site's
        assert timezone.site_zone(s, "XX") == ZoneInfo("Europe/Paris")
    zones = timezone.SiteZones(sqlite_sessions)
    assert (zones.of("HN"), zones.of(""), zones.installation()) == (HCM, ZoneInfo("Europe/Paris"), zones.of(None))


@pytest.mark.parametrize(("site_tz", "held"), [("Asia/Ho_Chi_Minh", False), ("UTC", True)])
def test_quiet_hours_are_in_the_time_of_the_alerts_site(
    sqlite_sessions, clock, make_engine, webhook, site_tz: str, held: bool
) -> None:
    room = make_registry(sqlite_sessions)
    set_zone(sqlite_sessions, "HN", site_tz)
    add_webhook_contact(sqlite_sessions, webhook.url)
    # T0 is 14:13 UTC = 21:13 in Hà Nội: quiet 14:00–15:00 holds the warning only where the site is on UTC
    eng = make_engine(sqlite_sessions, clock, fast_settings(quiet_hours="14:00-15:00", timezone="UTC"))
    eng.on_readings([reading(room, clock.ms, "n1", battery_v=3.0), reading(room, clock.ms, "s1", smoke=0)])
    assert eng.settle()
    assert alerts_in(sqlite_sessions, "battery")[0].state == "firing"
    if held:
        assert webhook.requests == []
    else:
        assert [r.json()["alerts"][0]["rule"] for r in webhook.wait_for(1)] == ["battery"]


def test_pages_show_times_in_the_installations_zone(sqlite_sessions) -> None:
    from inventory import webutil

    with session_scope(sqlite_sessions) as s:
        registry.create_site(s, "PA", "Paris")
    set_zone(sqlite_sessions, "PA", "Europe/Paris")
    at = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    try:
        timezone.serve_zones(sqlite_sessions)
        assert webutil._env.filters["dt"](at) == "20/11/2026 09:00"
    finally:
        timezone._served = None
    assert webutil._env.filters["dt"](at) == "20/11/2026 15:00"  # no registry served: the default zone


def test_overdue_cleaning_notice_gives_due_times_in_site_time() -> None:
    task = SimpleNamespace(
        kind="floor", code="HN-P1", due_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC), assignee="", room="P1"
    )
    _, text = messages.cleaning_overdue("HN", [task], "en", HCM)
    assert "due 2026-11-20 15:00 (UTC+0700)" in text


def test_an_unreadable_registry_leaves_the_default_zone(sqlite_url: str) -> None:
    from inventory.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)  # no tables: every read fails
    try:
        zones = timezone.SiteZones(make_sessionmaker(engine))
        assert zones.of("HN") == HCM and zones.installation() == HCM
    finally:
        engine.dispose()
