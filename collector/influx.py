"""InfluxDB through the v1-compatible HTTP API (``/write``, ``/query``): 1.x, 2.x compat and 3.x Core."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson

from collector.influx_schema import CLIMATE, FOREVER_RP, HOURLY, RAW_RP, ident
from collector.settings import InfluxSettings

log = logging.getLogger(__name__)
# httpx logs every request at INFO: thousands of lines an hour from the writer.
logging.getLogger("httpx").setLevel(logging.WARNING)

HOURLY_CQ = HOURLY


class InfluxError(RuntimeError):
    """Any failure talking to InfluxDB."""


class InfluxUnavailable(InfluxError):
    """Not reachable, timed out, 5xx or auth failure: worth retrying later (spool meanwhile)."""


class InfluxRejected(InfluxError):
    """InfluxDB refused (part of) the data (HTTP 400: parse error, field type conflict, partial write).

    Retrying the same lines cannot succeed: they go to the dead-letter store.
    """


class DatabaseNotFound(InfluxError):
    """The database does not exist (HTTP 404 on write)."""


def safe_url(url: str) -> str:
    """``url`` without user:password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


_q = ident


class InfluxClient:
    """A persistent HTTP client for one database; safe to use from one thread at a time per method call."""

    def __init__(self, settings: InfluxSettings) -> None:
        self.settings = settings
        self._where = safe_url(settings.url)
        headers = {}
        auth: tuple[str, str] | None = None
        if settings.token is not None:
            headers["Authorization"] = f"Token {settings.token.get_secret_value()}"
        elif settings.username:
            auth = (settings.username, settings.password.get_secret_value() if settings.password else "")
        self._http = httpx.Client(
            base_url=settings.url.rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=settings.timeout_s,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )
        params = {"db": settings.database, "precision": "ms"}
        if settings.retention_policy:
            params["rp"] = settings.retention_policy
        self._write_params = params

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def ping(self) -> bool:
        """True when the server answers ``/ping``."""
        try:
            return self._http.get("/ping", timeout=min(2.0, self.settings.timeout_s)).status_code in (200, 204)
        except httpx.HTTPError:
            return False

    def write_lines(self, body: bytes) -> None:
        """Write newline-separated line protocol (ms precision). Raises a subclass of :class:`InfluxError`."""
        try:
            r = self._http.post("/write", params=self._write_params, content=body)
        except httpx.HTTPError as e:
            raise InfluxUnavailable(f"InfluxDB at {self._where} unreachable: {type(e).__name__}") from None
        if r.status_code == 204 or r.status_code == 200:
            return
        msg = _error_text(r)
        if r.status_code == 404 and "database not found" in msg:
            raise DatabaseNotFound(msg)
        if r.status_code in (400, 422):
            raise InfluxRejected(msg)
        if r.status_code == 413:
            raise InfluxRejected(f"request too large: {msg}")
        raise InfluxUnavailable(f"InfluxDB write failed with HTTP {r.status_code}: {msg}")

    def query(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        """Run InfluxQL (epoch ms); the ``series`` of the first statement (``[]`` when no rows)."""
        results = self._query_results(q, db)
        return list(results[0].get("series", [])) if results else []

    def _query_results(self, q: str, db: str | None = None, *, post: bool = False) -> list[dict[str, Any]]:
        params = {"q": q, "epoch": "ms", "db": db if db is not None else self.settings.database}
        try:
            r = self._http.post("/query", params=params) if post else self._http.get("/query", params=params)
        except httpx.HTTPError as e:
            raise InfluxUnavailable(f"InfluxDB at {self._where} unreachable: {type(e).__name__}") from None
        if r.status_code >= 500 or r.status_code in (401, 403):
            raise InfluxUnavailable(f"InfluxDB query failed with HTTP {r.status_code}: {_error_text(r)}")
        try:
            doc = orjson.loads(r.content)
        except orjson.JSONDecodeError:
            raise InfluxError(f"InfluxDB answered HTTP {r.status_code} without JSON") from None
        if "error" in doc:
            raise InfluxError(str(doc["error"]))
        results: list[dict[str, Any]] = doc.get("results", [])
        for res in results:
            if "error" in res:
                raise InfluxError(str(res["error"]))
        return results

    def ensure_database(self) -> None:
        """Create the database, its retention policies and the hourly downsampling query (idempotent).

        Layout: RP ``raw`` (default, ``raw_retention``) holds every reading; continuous query ``climate_1h``
        writes hourly means of ``climate`` into RP ``forever`` (infinite) as measurement ``climate_1h``.
        On InfluxDB 2.x/3.x (no InfluxQL DDL) create the bucket/database yourself; failures here are logged.
        """
        db = self.settings.database
        try:
            self._query_results(f"CREATE DATABASE {_q(db)}", db="", post=True)
            rps = {row[0]: row for s in self.query("SHOW RETENTION POLICIES", db=db) for row in s.get("values", [])}
            dur = self.settings.raw_retention
            if RAW_RP in rps:
                self._query_results(f"ALTER RETENTION POLICY {_q(RAW_RP)} ON {_q(db)} DURATION {dur}", post=True)
            elif self.query("SHOW MEASUREMENTS LIMIT 1", db=db):
                # Existing data lives in another default policy: switching the default would hide it.
                log.warning("database %s already holds data: keeping its default retention policy", db)
            else:
                self._query_results(
                    f"CREATE RETENTION POLICY {_q(RAW_RP)} ON {_q(db)} DURATION {dur} REPLICATION 1 DEFAULT", post=True
                )
            if FOREVER_RP not in rps:
                self._query_results(
                    f"CREATE RETENTION POLICY {_q(FOREVER_RP)} ON {_q(db)} DURATION INF REPLICATION 1", post=True
                )
            cqs = {
                row[0]
                for s in self.query("SHOW CONTINUOUS QUERIES", db=db)
                if s.get("name") == db
                for row in s.get("values", [])
            }
            if HOURLY_CQ not in cqs:
                # FROM without a policy reads the default one (raw), wherever the raw data lives.
                self._query_results(
                    f"CREATE CONTINUOUS QUERY {_q(HOURLY_CQ)} ON {_q(db)} BEGIN "
                    f"SELECT mean(*) INTO {_q(db)}.{_q(FOREVER_RP)}.{_q(HOURLY_CQ)} "
                    f"FROM {_q(CLIMATE)} GROUP BY time(1h), * END",
                    post=True,
                )
        except InfluxUnavailable:
            raise
        except InfluxError as e:
            log.warning("could not set up database %s, retention policies or downsampling: %s", db, e)


def _error_text(r: httpx.Response) -> str:
    try:
        doc = orjson.loads(r.content)
        if isinstance(doc, dict) and "error" in doc:
            return str(doc["error"])[:2000]
    except orjson.JSONDecodeError:
        pass
    return r.text[:2000]
