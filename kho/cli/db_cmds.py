"""`kho db …`: schema migrations."""

from __future__ import annotations

import typer

from kho import db
from kho.cli.common import console, ctx_of

app = typer.Typer(help="Registry database schema (Alembic).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context, revision: str = typer.Argument("heads")) -> None:
    """Create or migrate the schema to REVISION (default: latest of every package)."""
    c = ctx_of(ctx)
    db.upgrade(c.settings.database_url, revision)
    where = c.engine.url.render_as_string(hide_password=True)
    console.print(f"[green]database at[/] {where} [green]is up to date[/]")


@app.command("downgrade")
def downgrade(
    ctx: typer.Context, revision: str = typer.Argument(..., help="target revision, 'base' drops all")
) -> None:
    """Migrate the schema down to REVISION."""
    c = ctx_of(ctx)
    db.downgrade(c.settings.database_url, revision)
    console.print(f"[yellow]database downgraded to[/] {revision}")


def register(root: typer.Typer) -> None:
    """Add ``kho db`` to the root app."""
    root.add_typer(app, name="db")
