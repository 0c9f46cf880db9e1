"""Settings section owned by the inventory package (composed into ``kho.settings.Settings``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class DatabaseSettings(BaseModel):
    """Where the registry lives: any SQLAlchemy URL; empty means ``sqlite:///<state_dir>/kho.db``."""

    url: str = Field(
        default="",
        description=(
            "Where the registry lives: any SQLAlchemy URL (sqlite:///…, postgresql+psycopg://…); empty means "
            "sqlite:///<state_dir>/kho.db."
        ),
    )
    echo: bool = Field(default=False, description="Log every SQL statement (SQLAlchemy echo), for debugging.")


class WebSettings(BaseModel):
    """Keeper pages and JSON API."""

    host: str = Field(
        default="127.0.0.1", description="Address the web app (keeper pages, JSON API, alerts pages) listens on."
    )
    port: int = Field(default=8080, description="Port the web app listens on.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="QR labels encode <public_base_url>/s/<token>; must be reachable from the keepers' phones.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs sessions and acknowledge links; empty: a random key kept in <state_dir>/secret_key",
    )
    default_language: str = Field(
        default="vi", description="Language of the pages until a user chooses: vi (Vietnamese) or en."
    )
    tls_cert: str | None = Field(
        default=None,
        description="PEM certificate (chain) file: with tls_key, `kho serve`/`kho demo` serve HTTPS, which phone "
        "browsers need before a page may use the camera.",
    )
    tls_key: str | None = Field(default=None, description="PEM private key file of tls_cert.")
    stale_after_s: int = Field(
        default=600,
        ge=30,
        description="A sensor (room page) or room tile (wall) whose last reading is older than this is marked stale.",
    )
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
