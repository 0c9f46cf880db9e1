"""`kho serve`: the web app alone (keeper pages, JSON API), served by uvicorn."""

from __future__ import annotations

import typer

from kho.cli.common import console, ctx_of, fail
from kho.localservers import port_open


def register(app: typer.Typer) -> None:
    """Mount ``kho serve`` on the root app."""
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="listen address (default web.host, KHO_WEB__HOST)"),
    port: int | None = typer.Option(None, help="port (default web.port, KHO_WEB__PORT)"),
) -> None:
    """Serve the web app (trang web và API) until Ctrl-C; the collector runs separately (`kho collect`)."""
    import uvicorn

    from kho.app import create_service_app

    c = ctx_of(ctx)
    st = c.settings
    host = host or st.web.host
    port = port if port is not None else st.web.port
    if port_open(port, host if host not in ("0.0.0.0", "::") else "127.0.0.1"):
        fail(f"cổng {port} đang bận / port {port} on {host} is already in use: choose another with --port")
    app = create_service_app(st)
    console.print(f"[green]kho web[/] http://{host}:{port}/  (API docs /api/docs). Ctrl-C để dừng / to stop.")
    # proxy_headers off: kho reads X-Forwarded-For itself, only from KHO_WEB__TRUSTED_PROXIES (inventory.auth).
    uvicorn.run(app, host=host, port=port, log_level=st.log_level.lower(), access_log=False, proxy_headers=False)
