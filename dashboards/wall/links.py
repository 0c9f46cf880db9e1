"""Wall links: create (the secret is shown once), find by secret, list, revoke."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.db import utcnow
from inventory.errors import NotFound, RegistryError
from inventory.models import Site, WallLink

PREFIX = "wall_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_link(session: Session, name: str, site_code: str, actor: str) -> tuple[WallLink, str]:
    """A new link for ``site_code``; returns it and its secret (only its hash is stored)."""
    name = name.strip()
    if not name:
        raise RegistryError("give the wall link a name (e.g. the screen's place)")
    if session.scalar(select(Site.id).where(Site.code == site_code)) is None:
        raise NotFound(f"no site {site_code!r}")
    secret = PREFIX + secrets.token_urlsafe(24)
    link = WallLink(name=name[:100], site_code=site_code, token_hash=_hash(secret), created_by=actor)
    session.add(link)
    session.flush()
    return link, secret


def link_for(session: Session, secret: str) -> WallLink | None:
    """The active link with this secret, its last use recorded; None when unknown or revoked."""
    if not secret.startswith(PREFIX):
        return None
    link = session.scalar(select(WallLink).where(WallLink.token_hash == _hash(secret)))
    if link is None or link.revoked_at is not None:
        return None
    now = utcnow()
    if link.last_used_at is None or (now - link.last_used_at).total_seconds() > 60:
        link.last_used_at = now
    return link


def list_links(session: Session) -> list[WallLink]:
    return list(session.scalars(select(WallLink).order_by(WallLink.revoked_at.is_not(None), WallLink.id.desc())))


def revoke_link(session: Session, link_id: int) -> WallLink:
    link = session.get(WallLink, link_id)
    if link is None:
        raise NotFound(f"no wall link {link_id}")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
    return link


def replace_link(session: Session, name: str, site_code: str, actor: str) -> str:
    """Revoke the active links called ``name`` and make a new one (``kho demo`` prints a fresh one each run)."""
    for old in session.scalars(select(WallLink).where(WallLink.name == name, WallLink.revoked_at.is_(None))):
        old.revoked_at = utcnow()
    return create_link(session, name, site_code, actor)[1]
