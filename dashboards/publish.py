"""Publish the datasource, the folder and the dashboards to a Grafana server through its HTTP API.

Idempotent: stable uids, ``overwrite: true``, and dashboards whose content did not change are not saved
again (so re-publishing does not pile up versions). Every failure becomes one :class:`PublishError` line.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException, GrafanaUnauthorizedError

from collector.settings import InfluxSettings
from dashboards.builders import all_dashboards
from dashboards.provisioning import datasource_payload, folder_uid
from dashboards.registry_view import SiteView
from dashboards.settings import GrafanaSettings


class PublishError(Exception):
    """Publishing failed; the message is meant for the user as is."""


@dataclass
class PublishReport:
    """What each object ended up as: ``created``, ``updated`` or ``unchanged``."""

    grafana_version: str = ""
    actions: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, kind: str, name: str, action: str) -> None:
        self.actions.append((kind, name, action))

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a[2] == action)


def _version_tuple(v: str) -> tuple[int, ...]:
    core = v.split("-")[0].split("+")[0]
    out = []
    for part in core.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def _status(e: GrafanaException) -> str:
    resp = getattr(e, "response", None)
    return str(resp.get("status", "")) if isinstance(resp, dict) else ""


def _transport(text: str) -> str:
    """The useful end of a connection error (requests/urllib3 messages are long)."""
    for needle, short in (
        ("refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host name"),
        ("resolve", "unknown host name"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if needle in text:
            return short
    return text[:160]


def _message(e: GrafanaException) -> str:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict) and resp.get("message"):
        return str(resp["message"])
    return str(getattr(e, "message", "") or e)


class Publisher:
    """Talks to one Grafana; call :meth:`publish`."""

    def __init__(self, url: str, token: str, settings: GrafanaSettings, influx: InfluxSettings) -> None:
        if not url.startswith(("http://", "https://")):
            raise PublishError(f"Grafana URL must start with http:// or https://, got {url!r}")
        self.url = url.rstrip("/")
        self.settings = settings
        self.influx = influx
        self.api = GrafanaApi.from_url(self.url, credential=token, timeout=settings.timeout_s)

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one API call, turning transport and auth failures into one-line errors."""
        try:
            return fn()
        except GrafanaUnauthorizedError:
            raise PublishError(
                f"Grafana at {self.url} rejected the token (401) while {what}: check --token / KHO_GRAFANA__TOKEN "
                "(a service-account token with the Editor or Admin role)"
            ) from None
        except GrafanaClientError as e:
            if e.status_code == 403:
                raise PublishError(
                    f"Grafana at {self.url} refused {what} (403): the token's role may not do this (needs Admin "
                    "for datasources)"
                ) from None
            raise
        except GrafanaException as e:
            if e.status_code == 0:
                raise PublishError(f"Grafana at {self.url} is unreachable ({_transport(str(e.message))})") from None
            raise PublishError(f"Grafana at {self.url} failed while {what}: {_message(e)}") from None
        except OSError as e:
            raise PublishError(f"Grafana at {self.url} is unreachable ({_transport(str(e))})") from None

    def check_version(self) -> str:
        """Grafana's version from ``/api/health``; too old or unreadable is an error."""
        health = self._call("reading /api/health", lambda: self.api.client.GET("/health"))
        version = str(health.get("version", "")) if isinstance(health, dict) else ""
        if not version:
            raise PublishError(f"{self.url}/api/health did not report a version: is this a Grafana server?")
        if _version_tuple(version) < _version_tuple(self.settings.min_version):
            raise PublishError(
                f"Grafana {version} at {self.url} is too old: kho's dashboards need Grafana "
                f"{self.settings.min_version} or newer"
            )
        return version

    def ensure_datasource(self, report: PublishReport) -> str:
        """Create or update the InfluxDB datasource by name; returns the uid panels must use."""
        payload = datasource_payload(self.settings, self.influx)
        name = payload["name"]
        ds = self.api.datasource
        try:
            existing = self._call("looking up the datasource", lambda: ds.get_datasource_by_name(name))
        except GrafanaClientError as e:
            if e.status_code != 404:
                raise PublishError(f"Grafana refused the datasource lookup: {_message(e)}") from None
            existing = None
        if existing is None:
            try:
                self._call("creating the datasource", lambda: ds.create_datasource(payload))
            except GrafanaClientError as e:
                raise PublishError(f"Grafana refused to create datasource {name!r}: {_message(e)}") from None
            report.add("datasource", name, "created")
            return str(payload["uid"])
        uid = str(existing.get("uid") or payload["uid"])
        # Keep an existing datasource's uid: other dashboards may already point at it.
        body = {**payload, "uid": uid, "id": existing.get("id"), "version": existing.get("version")}
        try:
            self._call("updating the datasource", lambda: ds.update_datasource_by_uid(uid, body))
        except GrafanaClientError as e:
            raise PublishError(f"Grafana refused to update datasource {name!r}: {_message(e)}") from None
        report.add("datasource", name, "updated")
        return uid

    def ensure_folder(self, report: PublishReport) -> str:
        """Create the dashboards folder with a stable uid, or rename it back if its title changed."""
        uid, title = folder_uid(self.settings), self.settings.folder
        fo = self.api.folder
        try:
            existing = self._call("looking up the folder", lambda: fo.get_folder(uid))
        except GrafanaClientError as e:
            if e.status_code != 404:
                raise PublishError(f"Grafana refused the folder lookup: {_message(e)}") from None
            existing = None
        try:
            if existing is None:
                self._call("creating the folder", lambda: fo.create_folder(title, uid=uid))
                report.add("folder", title, "created")
            elif existing.get("title") != title:
                self._call("renaming the folder", lambda: fo.update_folder(uid, title=title, overwrite=True))
                report.add("folder", title, "updated")
            else:
                report.add("folder", title, "unchanged")
        except GrafanaClientError as e:
            raise PublishError(f"Grafana refused folder {title!r}: {_message(e)}") from None
        return uid

    def save_dashboard(self, board: dict[str, Any], folder: str, report: PublishReport) -> None:
        """Create or overwrite one dashboard by uid; skip it when Grafana already has the same content."""
        uid, title = board["uid"], board["title"]
        current = self._get_dashboard(uid)
        if (
            current is not None
            and _same(current.get("dashboard", {}), board)
            and current.get("meta", {}).get("folderUid") == folder
        ):
            report.add("dashboard", title, "unchanged")
            return
        payload: dict[str, Any] = {**copy.deepcopy(board), "id": None}
        body: dict[str, Any] = {
            "dashboard": payload,
            "folderUid": folder,
            "overwrite": True,
            "message": "kho grafana publish",
        }
        for attempt in range(2):
            try:
                self._call(f"saving dashboard {title!r}", lambda: self.api.dashboard.update_dashboard(body))
                break
            except GrafanaClientError as e:
                status = _status(e)
                if e.status_code == 412 and status == "version-mismatch" and attempt == 0:
                    # Someone saved it meanwhile: build on their latest version and overwrite once more.
                    latest = self._get_dashboard(uid)
                    payload["version"] = (latest or {}).get("dashboard", {}).get("version", 0)
                    continue
                if e.status_code == 412 and status == "name-exists":
                    raise PublishError(
                        f"Grafana already has another dashboard titled {title!r} in folder {self.settings.folder!r}: "
                        "rename or delete it, then publish again"
                    ) from None
                if e.status_code == 412:
                    raise PublishError(
                        f"Grafana refused dashboard {title!r} ({status or 'precondition failed'}): {_message(e)}"
                    ) from None
                raise PublishError(f"Grafana refused dashboard {title!r}: {_message(e)}") from None
        report.add("dashboard", title, "created" if current is None else "updated")

    def _get_dashboard(self, uid: str) -> dict[str, Any] | None:
        try:
            return self._call("reading a dashboard", lambda: self.api.dashboard.get_dashboard(uid))
        except GrafanaClientError as e:
            if e.status_code == 404:
                return None
            raise PublishError(f"Grafana refused to read dashboard {uid}: {_message(e)}") from None

    def publish(self, sites: list[SiteView], on_step: Callable[[str], None] | None = None) -> PublishReport:
        """Check the version, then publish datasource, folder and every dashboard."""
        report = PublishReport()
        report.grafana_version = self.check_version()
        ds_uid = self.ensure_datasource(report)
        folder = self.ensure_folder(report)
        for board in all_dashboards(sites, ds_uid, self.settings.language).values():
            self.save_dashboard(board, folder, report)
            if on_step:
                on_step(board["title"])
        return report


_VOLATILE = {"id", "version", "iteration"}


def _same(stored: dict[str, Any], ours: dict[str, Any]) -> bool:
    """True when Grafana's copy has the same content as ours (ignoring ids and versions)."""
    return {k: v for k, v in stored.items() if k not in _VOLATILE} == {
        k: v for k, v in ours.items() if k not in _VOLATILE
    }
