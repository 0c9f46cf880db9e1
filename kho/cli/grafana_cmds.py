"""`kho grafana render|publish`: dashboards generated from the registry, as files or through Grafana's API."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from dashboards.registry_view import SiteView
from dashboards.settings import GrafanaSettings
from inventory.db import session_scope
from kho.cli.common import console, ctx_of, fail

grafana_app = typer.Typer(help="Grafana dashboards (màn hình kho) generated from the registry.", no_args_is_help=True)


def _sites(ctx: typer.Context) -> list[SiteView]:
    from dashboards.registry_view import load_sites

    with session_scope(ctx_of(ctx).sessions) as s:
        return load_sites(s)


def _grafana_settings(ctx: typer.Context, lang: str | None) -> GrafanaSettings:
    from dashboards.texts import LANGS

    g = ctx_of(ctx).settings.grafana
    if lang is not None:
        if lang not in LANGS:
            fail(f"--lang must be one of {', '.join(LANGS)}")
        g = g.model_copy(update={"language": lang})
    return g


@grafana_app.command("render")
def render_cmd(
    ctx: typer.Context,
    out: Path = typer.Option(Path("grafana"), "--out", help="directory for dashboards/ and provisioning/"),
    lang: str | None = typer.Option(None, "--lang", help="vi (default) or en"),
    dashboards_path: str = typer.Option(
        "/var/lib/grafana/dashboards/kho", help="where Grafana's server will find the dashboards directory"
    ),
) -> None:
    """Write dashboard JSON and provisioning YAML for a Grafana that reads them from disk."""
    from dashboards.render import render

    settings = ctx_of(ctx).settings
    sites = _sites(ctx)
    result = render(sites, out, _grafana_settings(ctx, lang), settings.influx, dashboards_path)
    console.print(f"[green]{len(result.dashboards)} dashboards[/] for {len(sites)} site(s) in {out / 'dashboards'}")
    for p in result.provisioning:
        console.print(f"  {p}")


@grafana_app.command("publish")
def publish_cmd(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help="Grafana URL (default: settings grafana.url)"),
    token: str | None = typer.Option(None, "--token", envvar="KHO_GRAFANA__TOKEN", help="service-account token"),
    lang: str | None = typer.Option(None, "--lang", help="vi (default) or en"),
) -> None:
    """Publish datasource, folder and dashboards through Grafana's HTTP API (idempotent)."""
    from dashboards.builders import all_dashboards
    from dashboards.publish import Publisher, PublishError

    settings = ctx_of(ctx).settings
    g = _grafana_settings(ctx, lang)
    secret = token or (g.token.get_secret_value() if g.token else None)
    if not secret:
        fail("no Grafana token: pass --token or set KHO_GRAFANA__TOKEN")
    sites = _sites(ctx)
    total = len(all_dashboards(sites, g.datasource_uid, g.language))
    try:
        publisher = Publisher(url or g.url, secret, g, settings.influx)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
        ) as progress:
            task = progress.add_task("dashboards", total=total)
            report = publisher.publish(sites, on_step=lambda _title: progress.advance(task))
    except PublishError as e:
        fail(str(e))
    console.print(
        f"[green]published to Grafana {report.grafana_version}[/]: {report.count('created')} created, "
        f"{report.count('updated')} updated, {report.count('unchanged')} unchanged"
    )
    for kind, name, action in report.actions:
        console.print(f"  {action:9} {kind:10} {name}")


def register(app: typer.Typer) -> None:
    """Mount `kho grafana …`."""
    app.add_typer(grafana_app, name="grafana")
