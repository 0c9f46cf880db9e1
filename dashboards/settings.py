"""Settings section owned by the dashboards package."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class GrafanaSettings(BaseModel):
    """Grafana instance that `kho grafana publish` talks to, and how generated dashboards look."""

    url: str = "http://127.0.0.1:3000"
    token: SecretStr | None = None
    folder: str = "kho"
    datasource_name: str = "kho-influxdb"
    # Stable uid of the InfluxDB datasource every panel refers to.
    datasource_uid: str = "kho-influxdb"
    # InfluxDB as Grafana's server reaches it (e.g. http://influxdb:8086 in docker compose);
    # empty means the collector's influx.url.
    influx_url: str = ""
    # Dashboard wording: "vi" (default) or "en".
    language: str = "vi"
    timeout_s: float = 10.0
    # Oldest Grafana whose dashboard JSON (schemaVersion 39, stat/timeseries options) we target.
    min_version: str = "9.0.0"


class WallSettings(BaseModel):
    """The wall display at ``/wall`` (kiosk screens; no Grafana needed)."""

    poll_interval_s: float = Field(
        default=1.0, ge=0.2, le=60, description="How often a wall page asks for fresh values (seconds)."
    )
    influx_timeout_s: float = Field(
        default=2.0,
        gt=0,
        description="InfluxDB query timeout of the wall: past it the wall keeps its last values, marked stale.",
    )
