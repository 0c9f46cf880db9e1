"""Settings section owned by the inventory package (composed into ``kho.settings.Settings``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class DatabaseSettings(BaseModel):
    """Where the registry lives: any SQLAlchemy URL; empty means ``sqlite:///<state_dir>/kho.db``."""

    url: str = ""
    echo: bool = False


class WebSettings(BaseModel):
    """Keeper pages and JSON API."""

    host: str = "127.0.0.1"
    port: int = 8080
    # QR labels encode <public_base_url>/s/<token>; must be reachable from the keepers' phones.
    public_base_url: str = "http://127.0.0.1:8080"
    secret_key: SecretStr = Field(default=SecretStr(""), description="signs sessions and links; generated if empty")
    default_language: str = "vi"
    stale_after_s: int = Field(
        default=600,
        ge=30,
        description="A sensor (room page) or room tile (wall) whose last reading is older than this is marked stale.",
    )
