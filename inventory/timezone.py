"""The one time-zone rule: a time is shown and judged in the time zone of the site it belongs to.

Each site keeps its zone (``Site.timezone``). What belongs to no single site — a system alert, a page or a
list across sites — uses the installation's zone: that of the first site registered, or
``DEFAULT_TIMEZONE`` while there is none. Quiet hours, pages, the CLI and reports all ask here.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inventory.models import Site
from inventory.models.places import DEFAULT_SITE_TIMEZONE

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = DEFAULT_SITE_TIMEZONE


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone, else ValueError with an example."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (e.g. {DEFAULT_TIMEZONE})") from None
    return name


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; the default one (logged) for an empty or unknown name, so that a bad row
    can never stop an alert or a page."""
    try:
        return ZoneInfo(check_timezone(name or DEFAULT_TIMEZONE))
    except ValueError:
        log.warning("unknown time zone %r, using %s", name, DEFAULT_TIMEZONE)
        return ZoneInfo(DEFAULT_TIMEZONE)


def installation_zone(session: Session) -> ZoneInfo:
    """The zone of what belongs to no single site: the first site's."""
    return zone(session.scalar(select(Site.timezone).order_by(Site.id).limit(1)))


def site_zone(session: Session, site_code: str | None) -> ZoneInfo:
    """The zone of site ``site_code``; the installation's for '' (system) or a site not registered."""
    if site_code:
        name = session.scalar(select(Site.timezone).where(Site.code == site_code))
        if name is not None:
            return zone(name)
    return installation_zone(session)


class SiteZones:
    """Site zones read from the registry and kept ``ttl_s`` seconds (for code asked many times a second)."""

    def __init__(self, sessions: sessionmaker[Session], ttl_s: float = 30.0) -> None:
        self.sessions = sessions
        self.ttl_s = ttl_s
        self._zones: dict[str, ZoneInfo] = {}
        self._first: ZoneInfo = zone(None)
        self._until = 0.0

    def _load(self) -> None:
        self._until = time.monotonic() + self.ttl_s
        try:
            with self.sessions() as s:
                rows = s.execute(select(Site.code, Site.timezone).order_by(Site.id)).all()
        except SQLAlchemyError:
            # A date on a page or a quiet-hours check is not worth failing for: keep what was known.
            log.warning("could not read the sites' time zones; keeping the last known", exc_info=True)
            return
        self._zones = {code: zone(tz) for code, tz in rows}
        self._first = zone(rows[0][1]) if rows else zone(None)

    def of(self, site_code: str | None) -> ZoneInfo:
        """The zone of ``site_code`` (the installation's for '' or an unknown site)."""
        if time.monotonic() >= self._until:
            self._load()
        return self._zones.get(site_code or "", self._first)

    def installation(self) -> ZoneInfo:
        """The zone of what belongs to no single site."""
        return self.of(None)


# The zones of the registry the web app serves, for page filters that have no session at hand
# (``inventory.webutil``); set once by the composition root.
_served: SiteZones | None = None


def serve_zones(sessions: sessionmaker[Session]) -> SiteZones:
    """Make the registry behind ``sessions`` the one pages take their zone from; returns its SiteZones."""
    global _served
    _served = SiteZones(sessions)
    return _served


def local_zone() -> ZoneInfo:
    """The installation's zone as pages show times (the default before an app serves a registry)."""
    return _served.installation() if _served is not None else zone(None)
