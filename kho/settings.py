"""The one settings object: every package's section, from ``KHO_*`` env vars and an optional TOML file.

Nested sections use ``__``: ``KHO_MQTT__PORT=1884``, ``KHO_INFLUX__URL=http://host:8086``,
``KHO_DATABASE__URL=postgresql+psycopg://...``. The TOML file has one table per section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from alerts.settings import AlertSettings
from collector.settings import CollectorSettings, InfluxSettings, MqttSettings
from dashboards.settings import GrafanaSettings, WallSettings
from firmware_configs.settings import FirmwareSettings
from inventory.archival.settings import ArchivalSettings
from inventory.settings import DatabaseSettings, WebSettings
from kho.backup_settings import BackupSettings


class Settings(BaseSettings):
    """All of kho's configuration; secrets are ``SecretStr`` and never printed."""

    model_config = SettingsConfigDict(env_prefix="KHO_", env_nested_delimiter="__", extra="ignore")

    state_dir: Path = Field(
        default=Path(".kho"),
        description=(
            "Demo servers' data, the SQLite registry (default), the collector's spool and dead letters, the secret key."
        ),
    )
    log_level: str = Field(
        default="INFO", description="Python logging level of the kho processes (DEBUG, INFO, WARNING, ERROR)."
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    influx: InfluxSettings = Field(default_factory=InfluxSettings)
    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    grafana: GrafanaSettings = Field(default_factory=GrafanaSettings)
    wall: WallSettings = Field(default_factory=WallSettings)
    firmware: FirmwareSettings = Field(default_factory=FirmwareSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    archival: ArchivalSettings = Field(default_factory=ArchivalSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = _toml_file.get("path")
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        """The registry URL, defaulting to a SQLite file in the state directory."""
        return self.database.url or f"sqlite:///{(self.state_dir / 'kho.db').resolve()}"


_toml_file: dict[str, Path | None] = {"path": None}


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from env vars, then ``config_file`` (TOML) if given; ``overrides`` win over both."""
    if config_file is not None and not config_file.is_file():
        raise FileNotFoundError(f"config file not found: {config_file}")
    _toml_file["path"] = config_file
    try:
        return Settings(**overrides)
    finally:
        _toml_file["path"] = None
