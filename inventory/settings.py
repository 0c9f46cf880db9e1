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
    session_idle_s: int = Field(
        default=2 * 3600, ge=60, description="a login session ends after this many seconds without a request"
    )
    session_absolute_s: int = Field(
        default=12 * 3600, ge=60, description="a login session ends this many seconds after the login, used or not"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For names the client; "
        "from any other peer the header is ignored",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="failed logins allowed per account and client within login_window_s"
    )
    login_account_max_failures: int = Field(
        default=10, ge=1, description="failed logins allowed per account from all clients within login_window_s"
    )
    login_client_max_failures: int = Field(
        default=30, ge=1, description="failed logins allowed per client for all accounts within login_window_s"
    )
    login_window_s: int = Field(default=300, ge=1, description="the window of the login limits, in seconds")
