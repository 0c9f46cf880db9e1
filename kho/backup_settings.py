"""Settings section of ``kho backup`` / ``kho restore`` and the scheduled daily backup."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, Field, field_validator


class BackupSettings(BaseModel):
    """Where backups go, when the daily one runs, how many are kept, how InfluxDB is reached."""

    dir: str = Field(
        default="",
        description="Directory of scheduled backups (one subdirectory each); empty means <state_dir>/backups.",
    )
    daily_at: str = Field(
        default="",
        description="Time of day (HH:MM, alerts.timezone) of a scheduled backup by the web app; empty: none.",
    )
    keep: int = Field(default=7, ge=1, le=3650, description="Scheduled backups kept; older ones are deleted.")
    influx_rpc: str = Field(
        default="127.0.0.1:8088",
        description="influxd's RPC bind-address (host:port) for `influxd backup/restore -portable`.",
    )
    influx: bool = Field(default=True, description="Include an InfluxDB portable backup of influx.database.")
    influxd: str = Field(default="influxd", description="The influxd binary used for backup and restore.")

    @field_validator("daily_at")
    @classmethod
    def _check_daily_at(cls, v: str) -> str:
        if v.strip():
            try:
                time.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"daily_at {v!r} must look like 02:30") from None
        return v.strip()
