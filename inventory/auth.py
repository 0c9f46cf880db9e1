"""Who is calling: users (argon2 password hashes) with session login, machine API tokens, roles, CSRF.

FastAPI dependencies for every package's routes::

    from inventory.auth import Principal, require_role

    @router.post("/api/alerts/{id}/ack")
    def ack(id: int, who: Principal = Depends(require_role("manager"))) -> ...

People log in through ``/login``: a server-side session (``web_sessions``) whose secret rides in the signed
cookie, ended by logout, a password change, disabling the user or an admin, and by its idle and absolute
lifetimes (``KHO_WEB__SESSION_IDLE_S``, ``KHO_WEB__SESSION_ABSOLUTE_S``); machines send
``Authorization: Bearer <token>``. Cookie-authenticated writes must carry the CSRF token (form field ``csrf`` or
header ``X-CSRF-Token``); bearer requests need none (a browser never adds that header by itself).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.limits import PASSWORD_MAX, form_problem
from inventory.models import ROLE_ORDER, ApiToken, Role, User, WebSession
from inventory.settings import WebSettings

_hasher = PasswordHasher()
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD = 8
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request: a logged-in person or a machine token (``kind`` user|token)."""

    username: str
    role: str
    kind: str = "user"
    display_name: str = ""

    def can(self, role: str | Role) -> bool:
        """True if this principal's role is ``role`` or higher."""
        return Role(self.role).rank >= Role(role).rank

    @property
    def actor(self) -> str:
        """The name recorded in events for what this principal does."""
        return self.username if self.kind == "user" else f"token:{self.username}"


class AuthError(Exception):
    """Raised by the dependencies; ``inventory.web`` turns it into 401 (login redirect for pages) or 403."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_role(role: str) -> Role:
    """The Role named ``role`` or a RegistryError listing the valid ones."""
    try:
        return Role(role)
    except ValueError:
        raise RegistryError(f"unknown role {role!r}: use {', '.join(r.value for r in ROLE_ORDER)}") from None


# ---- users -------------------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to use (compared case-insensitively)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().casefold() for w in lines if w.strip() and not w.startswith("#"))


def check_password(password: str, username: str = "") -> None:
    """The password policy: 8–256 characters that are not all blanks, not the user name, not a common password."""
    if len(password.strip()) < MIN_PASSWORD:
        raise RegistryError(f"password too short: at least {MIN_PASSWORD} characters other than spaces")
    if len(password) > PASSWORD_MAX:
        raise RegistryError(f"password too long: at most {PASSWORD_MAX} characters")
    if not password.isprintable() or not _encodable(password):
        raise RegistryError("password may not contain control characters")
    folded = password.strip().casefold()
    if username and folded in (username.casefold(), username.casefold()[::-1]):
        raise RegistryError("password may not be the user name")
    if len(set(folded)) < 3 or folded in common_passwords():
        raise RegistryError("password too common: choose a less guessable one")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON "\ud800"
        return False
    return True


def create_user(
    session: Session, username: str, password: str, role: str = "viewer", display_name: str = "", language: str = "vi"
) -> User:
    """Add a person who can log in; usernames are lower case letters, digits, '.', '_' or '-'."""
    username = username.strip().lower()
    if not _USERNAME_RE.match(username):
        raise RegistryError(f"username {username!r} is invalid: 2–64 lower-case letters, digits, '.', '_' or '-'")
    check_password(password, username)
    role_v = parse_role(role).value
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"user {username} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role_v,
        display_name=display_name or username,
        language=language if language in ("vi", "en") else "vi",
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    """The user ``username`` or NotFound."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def set_password(session: Session, username: str, password: str) -> None:
    """Replace a user's password; every session of the user ends."""
    user = get_user(session, username)
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    revoke_sessions(session, user.id)


def set_role(session: Session, username: str, role: str) -> None:
    """Change a user's role."""
    get_user(session, username).role = parse_role(role).value


def set_active(session: Session, username: str, active: bool) -> None:
    """Disable (or re-enable) a user; disabling ends the user's sessions."""
    user = get_user(session, username)
    user.active = active
    if not active:
        revoke_sessions(session, user.id)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user if ``password`` matches, else None (same work either way to not leak which usernames exist)."""
    if len(password) > PASSWORD_MAX or not _encodable(password) or not _encodable(username):
        return None
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        # Hash anyway so an unknown username takes as long as a wrong password.
        _hasher.hash(password or "x")
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


# ---- machine tokens ----------------------------------------------------------------------------------------------


def token_hash(secret: str) -> str:
    """The stored form of a token or session secret (SHA-256, hex)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, name: str, role: str = "viewer", created_by: str | None = None) -> str:
    """Create an API token and return its secret (``kho_…``); only a hash is stored, so show it once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise RegistryError("token name must be 1–100 characters")
    role_v = parse_role(role).value
    if session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise Conflict(f"token {name} already exists")
    creator = session.scalar(select(User.id).where(User.username == created_by)) if created_by else None
    secret = "kho_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=token_hash(secret), role=role_v, created_by=creator))
    session.flush()
    return secret


def revoke_token(session: Session, name: str) -> None:
    """Revoke a token by name; requests using it fail from then on."""
    tok = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if tok is None:
        raise NotFound(f"no token {name}")
    tok.revoked_at = utcnow()


def principal_for_token(session: Session, secret: str) -> Principal | None:
    """The principal of a valid, unrevoked token secret, else None."""
    tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if tok is None or tok.revoked_at is not None:
        return None
    now = utcnow()
    # Writing on every request would serialise machine calls on SQLite: refresh at most once a minute.
    if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > 60:
        tok.last_used_at = now
    return Principal(username=tok.name, role=tok.role, kind="token", display_name=tok.name)


# ---- web sessions ------------------------------------------------------------------------------------------------


def start_session(session: Session, user: User, client: str = "", user_agent: str = "") -> str:
    """Record a new login of ``user`` and return its secret (the cookie carries it; only a hash is stored)."""
    now = utcnow()
    # Old rows are of no use once they cannot be valid any more: keep the table small.
    session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.last_seen_at < now - timedelta(days=30))
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_hash(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            client=client[:64],
            user_agent=user_agent[:200],
        )
    )
    session.flush()
    return secret


def session_principal(session: Session, secret: str, web: WebSettings) -> Principal | None:
    """The principal of a live session (not revoked, idle and absolute lifetimes not passed, user active)."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash(secret))
    ).first()
    if row is None:
        return None
    ws, user = row
    now = utcnow()
    if (
        ws.revoked_at is not None
        or not user.active
        or (now - ws.last_seen_at).total_seconds() > web.session_idle_s
        or (now - ws.created_at).total_seconds() > web.session_absolute_s
    ):
        return None
    # As for tokens: one write a minute at most, enough for an idle limit counted in minutes.
    if (now - ws.last_seen_at).total_seconds() > 60:
        ws.last_seen_at = now
    return Principal(user.username, user.role, "user", user.display_name)


def end_session(session: Session, secret: str) -> None:
    """Revoke the session of ``secret`` (logout)."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == token_hash(secret), WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_sessions(session: Session, user_id: int) -> int:
    """End every session of a user ("log out everywhere", password change, an admin); how many were live."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_sessions(session: Session, user_id: int, web: WebSettings) -> list[WebSession]:
    """The user's sessions that still work, newest first."""
    now = utcnow()
    rows = session.scalars(
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .order_by(WebSession.id.desc())
    )
    return [
        ws
        for ws in rows
        if (now - ws.last_seen_at).total_seconds() <= web.session_idle_s
        and (now - ws.created_at).total_seconds() <= web.session_absolute_s
    ]


# ---- login rate limit --------------------------------------------------------------------------------------------


class LoginRateLimiter:
    """Failed logins counted per (client, account), per account from every client and per client for every
    account, within ``window_s``.

    ``begin`` counts an attempt as failed before the password is checked, under the lock, so parallel attempts
    cannot all pass the check while the first ones are still hashing; ``succeeded`` takes it back. Each limit
    blocks only what it counts: an account at its limit does not block other accounts.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        account_max: int | None = None,
        client_max: int | None = None,
    ) -> None:
        self.max_failures = max_failures
        self.account_max = account_max if account_max is not None else 2 * max_failures
        self.client_max = client_max if client_max is not None else 6 * max_failures
        self.window_s = window_s
        self._clock = clock
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    @classmethod
    def from_settings(cls, web: WebSettings) -> LoginRateLimiter:
        return cls(
            web.login_max_failures,
            web.login_window_s,
            account_max=web.login_account_max_failures,
            client_max=web.login_client_max_failures,
        )

    def _keys(self, client: str, username: str) -> tuple[tuple[tuple[str, str], int], ...]:
        return (
            ((client, username), self.max_failures),
            (("*", username), self.account_max),
            ((client, "*"), self.client_max),
        )

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def _wait(self, client: str, username: str, now: float) -> float:
        waits = []
        for key, limit in self._keys(client, username):
            q = self._recent(key, now)
            if len(q) >= limit:
                waits.append(self.window_s - (now - q[-limit]))
        return max(waits, default=0.0)

    def retry_after(self, client: str, username: str) -> float:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        with self._lock:
            return self._wait(client, username, self._clock())

    def _sweep(self, now: float) -> None:
        # Random user names must not grow the table without bound: drop keys whose failures have all expired.
        if now - self._swept < self.window_s:
            return
        self._swept = now
        for key in [k for k, q in self._fails.items() if not q or now - q[-1] > self.window_s]:
            del self._fails[key]

    def begin(self, client: str, username: str) -> float:
        """Start an attempt: 0 and the attempt counted as a failure, or the seconds to wait (nothing counted)."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            wait = self._wait(client, username, now)
            if wait > 0:
                return wait
            for key, _limit in self._keys(client, username):
                self._recent(key, now).append(now)
            return 0.0

    def failed(self, client: str, username: str) -> None:
        """Count a failure (for callers that do not use ``begin``)."""
        now = self._clock()
        with self._lock:
            for key, _limit in self._keys(client, username):
                self._recent(key, now).append(now)

    def succeeded(self, client: str, username: str) -> None:
        """The attempt started by ``begin`` was right: forget the (client, account) failures, take it back."""
        with self._lock:
            self._fails.pop((client, username), None)
            for key in (("*", username), (client, "*")):
                q = self._fails.get(key)
                if q:
                    q.pop()


def _in_networks(addr: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: Request) -> str:
    """The client's address: the TCP peer, or ``X-Forwarded-For`` when the peer is one of the trusted proxies
    (the rightmost address that is not a trusted proxy itself: the ones left of it are the client's to invent)."""
    peer = request.client.host if request.client else "?"
    trusted = web_settings(request).trusted_proxies
    if not trusted or not _in_networks(peer, trusted):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, trusted):
            return hop[:64]
    return peer


# ---- request dependencies ----------------------------------------------------------------------------------------


def web_settings(request: Request) -> WebSettings:
    """The app's web settings (defaults for an app built without settings)."""
    settings = getattr(request.app.state, "settings", None)
    return settings.web if settings is not None else WebSettings()


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser session (created on first use); put it in every form as ``csrf``."""
    sess = request.session
    tok = sess.get("csrf")
    if not isinstance(tok, str):
        tok = secrets.token_urlsafe(24)
        sess["csrf"] = tok
    return tok


async def form_csrf(request: Request) -> str | None:
    """The CSRF token a request carries (header ``X-CSRF-Token`` or form field ``csrf``)."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette; the route reads the same form
            value = form.get("csrf")
            given = value if isinstance(value, str) else None
    return given


def csrf_matches(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf") if "session" in request.scope else None
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given or "")


async def _check_csrf(request: Request) -> None:
    if not csrf_matches(request, await form_csrf(request)):
        raise AuthError(403, "csrf")


def _principal_from_request(request: Request) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        secret = header[7:].strip()
        with _sessions(request)() as s:
            principal = principal_for_token(s, secret)
            s.commit()
        if principal is None:
            raise AuthError(401, "invalid token")
    elif "session" in request.scope:
        sid = request.session.get("sid")
        if isinstance(sid, str):
            with _sessions(request)() as s:
                principal = session_principal(s, sid, web_settings(request))
                s.commit()
            if principal is None:
                # Ended or expired: forget who it was, keep the CSRF token (a form sent now can be resumed).
                request.session.pop("sid", None)
                request.session["expired"] = True
    request.state.principal = principal
    return principal


def optional_principal(request: Request) -> Principal | None:
    """The caller if authenticated, else None (for pages that look different when logged in)."""
    return _principal_from_request(request)


async def current_principal(request: Request) -> Principal:
    """The authenticated caller (401 otherwise); cookie-authenticated writes must pass the CSRF check."""
    principal = _principal_from_request(request)
    if principal is None:
        raise AuthError(401, "login required")
    if request.method not in SAFE_METHODS:
        if principal.kind == "user":
            await _check_csrf(request)
        await _check_form(request)
    return principal


async def _check_form(request: Request) -> None:
    # Every page form of every package passes here: one place for their length and range limits.
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        problem = form_problem(list((await request.form()).multi_items()))
        if problem:
            raise RegistryError(problem)


def require_role(role: str | Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """Dependency: the caller, who must have ``role`` or higher (403 otherwise)."""
    needed = Role(role)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.can(needed):
            raise AuthError(403, f"role {needed.value} required")
        return principal

    dependency.__name__ = f"require_{needed.value}"
    return dependency


# What survives a login in the cookie: the action a keeper sent when the session had ended (see inventory.resume).
_KEPT_OVER_LOGIN = ("pending",)


def login_session(request: Request, session: Session, user: User) -> None:
    """Start a session for ``user``: a new server-side session and a fresh CSRF token (against session fixation)."""
    kept = {k: request.session[k] for k in _KEPT_OVER_LOGIN if k in request.session}
    request.session.clear()
    request.session.update(kept)
    request.session["sid"] = start_session(
        session, user, client_address(request), request.headers.get("user-agent", "")
    )
    request.session["csrf"] = secrets.token_urlsafe(24)
    request.session["lang"] = user.language


def session_secret(request: Request) -> str | None:
    """The secret of the request's login session, if any."""
    sid = request.session.get("sid") if "session" in request.scope else None
    return sid if isinstance(sid, str) else None
