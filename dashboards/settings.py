"""Settings section owned by the dashboards package."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class GrafanaSettings(BaseModel):
    """Grafana instance that `kho grafana publish` talks to, and how generated dashboards look."""

    url: str = Field(default="http://127.0.0.1:3000", description="Grafana that kho grafana publish talks to.")
    token: SecretStr | None = Field(
        default=None, description="Grafana service-account token with dashboard and datasource rights."
    )
    folder: str = Field(default="kho", description="Grafana folder the dashboards are published into.")
    datasource_name: str = Field(
        default="kho-influxdb", description="Name of the InfluxDB datasource kho creates in Grafana."
    )
    datasource_uid: str = Field(
        default="kho-influxdb", description="Stable uid of the InfluxDB datasource every panel refers to."
    )
    influx_url: str = Field(
        default="",
        description=(
            "InfluxDB as Grafana's server reaches it (e.g. http://influxdb:8086 in docker compose); empty means the "
            "collector's influx.url."
        ),
    )
    language: str = Field(default="vi", description='Dashboard wording: "vi" (default) or "en".')
    timeout_s: float = Field(default=10.0, description="Timeout of one request to Grafana's HTTP API, seconds.")
    min_version: str = Field(
        default="9.0.0",
        description="Oldest Grafana the generated dashboard JSON (schemaVersion 39, stat/timeseries options) is for.",
    )


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
