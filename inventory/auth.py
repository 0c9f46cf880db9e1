"""Who is calling: users (argon2 password hashes) with session login, machine API tokens, roles, CSRF.

FastAPI dependencies for every package's routes::

    from inventory.auth import Principal, require_role

    @router.post("/api/alerts/{id}/ack")
    def ack(id: int, who: Principal = Depends(require_role("manager"))) -> ...

People log in through ``/login`` (a signed session cookie, see ``inventory.web.setup_app``); machines send
``Authorization: Bearer <token>``. Cookie-authenticated writes must carry the CSRF token (form field ``csrf`` or
header ``X-CSRF-Token``); bearer requests need none (a browser never adds that header by itself).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import utcnow
from inventory.errors import Conflict, NotFound, RegistryError
from inventory.models import ROLE_ORDER, ApiToken, Role, User

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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise RegistryError(f"password too short: at least {MIN_PASSWORD} characters")


def create_user(
    session: Session, username: str, password: str, role: str = "viewer", display_name: str = "", language: str = "vi"
) -> User:
    """Add a person who can log in; usernames are lower case letters, digits, '.', '_' or '-'."""
    username = username.strip().lower()
    if not _USERNAME_RE.match(username):
        raise RegistryError(f"username {username!r} is invalid: 2–64 lower-case letters, digits, '.', '_' or '-'")
    _check_password(password)
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
    """Replace a user's password."""
    _check_password(password)
    get_user(session, username).password_hash = hash_password(password)


def set_role(session: Session, username: str, role: str) -> None:
    """Change a user's role."""
    get_user(session, username).role = parse_role(role).value


def set_active(session: Session, username: str, active: bool) -> None:
    """Disable (or re-enable) a user; a disabled user's sessions stop working at the next request."""
    get_user(session, username).active = active


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user if ``password`` matches, else None (same work either way to not leak which usernames exist)."""
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


def _token_hash(secret: str) -> str:
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
    session.add(ApiToken(name=name, token_hash=_token_hash(secret), role=role_v, created_by=creator))
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
    tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if tok is None or tok.revoked_at is not None:
        return None
    now = utcnow()
    # Writing on every request would serialise machine calls on SQLite: refresh at most once a minute.
    if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > 60:
        tok.last_used_at = now
    return Principal(username=tok.name, role=tok.role, kind="token", display_name=tok.name)


# ---- login rate limit --------------------------------------------------------------------------------------------


class LoginRateLimiter:
    """At most ``max_failures`` failed logins per (client, username) and ``4 × max_failures`` per client
    within ``window_s``; a success clears the (client, username) record."""

    def __init__(
        self, max_failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, client: str, username: str) -> float:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        now = self._clock()
        with self._lock:
            waits = []
            for key, limit in (((client, username), self.max_failures), ((client, "*"), 4 * self.max_failures)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(self.window_s - (now - q[0]))
            return max(waits, default=0.0)

    def failed(self, client: str, username: str) -> None:
        now = self._clock()
        with self._lock:
            self._recent((client, username), now).append(now)
            self._recent((client, "*"), now).append(now)

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._fails.pop((client, username), None)


# ---- request dependencies ----------------------------------------------------------------------------------------


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


async def _check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette; the route reads the same form
            value = form.get("csrf")
            given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not given or not hmac.compare_digest(expected, given):
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
        uid = request.session.get("uid")
        if isinstance(uid, int):
            with _sessions(request)() as s:
                user = s.get(User, uid)
                # A disabled user or a changed password (new session epoch) ends old sessions.
                if user is not None and user.active and request.session.get("pw") == _pw_epoch(user):
                    principal = Principal(user.username, user.role, "user", user.display_name)
            if principal is None:
                request.session.clear()
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
    if principal.kind == "user" and request.method not in SAFE_METHODS:
        await _check_csrf(request)
    return principal


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


def _pw_epoch(user: User) -> str:
    # Session cookies are signed, not encrypted: keep only a digest of the hash in them.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def login_session(request: Request, user: User) -> None:
    """Start a session for ``user`` (a fresh CSRF token too, against session fixation)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["pw"] = _pw_epoch(user)
    request.session["csrf"] = secrets.token_urlsafe(24)
    request.session["lang"] = user.language
