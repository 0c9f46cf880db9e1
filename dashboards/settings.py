"""Settings section owned by the dashboards package."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr


class GrafanaSettings(BaseModel):
    """Grafana instance that `kho grafana publish` talks to."""

    url: str = "http://127.0.0.1:3000"
    token: SecretStr | None = None
    folder: str = "kho"
    datasource_name: str = "kho-influxdb"
