"""`kho serve`: the web app alone (keeper pages, JSON API), served by uvicorn."""

from __future__ import annotations

from pathlib import Path

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
    tls_cert: str | None = typer.Option(None, help="PEM certificate: serve HTTPS (default web.tls_cert)"),
    tls_key: str | None = typer.Option(None, help="PEM private key of --tls-cert (default web.tls_key)"),
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
    cert, key = tls_cert or st.web.tls_cert, tls_key or st.web.tls_key
    if bool(cert) != bool(key):
        fail("HTTPS cần cả chứng chỉ và khóa / HTTPS needs both a certificate and its key (--tls-cert, --tls-key)")
    for f in (cert, key):
        if f and not Path(f).is_file():
            fail(f"không có tệp / no such file: {f}")
    app = create_service_app(st)
    scheme = "https" if cert else "http"
    console.print(f"[green]kho web[/] {scheme}://{host}:{port}/  (API docs /api/docs). Ctrl-C để dừng / to stop.")
    if not cert:
        console.print(
            "[yellow]HTTP:[/] điện thoại chỉ cho trang dùng camera qua HTTPS (hoặc trên chính máy này) — "
            "phones allow the camera only over HTTPS: give --tls-cert/--tls-key (docs/keeper-pages.md)."
        )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=st.log_level.lower(),
        access_log=False,
        ssl_certfile=cert,
        ssl_keyfile=key,
        # kho reads X-Forwarded-For itself, only from KHO_WEB__TRUSTED_PROXIES (inventory.auth)
        proxy_headers=False,
    )
