"""`kho` command line: one typer app; each area's commands live in their own module here."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from inventory.errors import RegistryError
from kho.cli import (
    alerts_cmds,
    archival_cmds,
    backup_cmds,
    collector_cmds,
    db_cmds,
    demo_cmd,
    devices_cmds,
    firmware_cmds,
    grafana_cmds,
    inventory_cmds,
    inventory_tools_cmds,
    serve_cmd,
)
from kho.cli.common import CliContext, err_console
from kho.localservers import ServerError

app = typer.Typer(
    name="kho",
    help="kho — archive storage monitoring and box inventory (kho lưu trữ).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cmds.app, name="db")
app.add_typer(devices_cmds.sites_app, name="sites")
app.add_typer(devices_cmds.rooms_app, name="rooms")
app.add_typer(devices_cmds.devices_app, name="devices")


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", envvar="KHO_CONFIG", help="TOML settings file"),
) -> None:
    ctx.obj = CliContext(config_file=config)


for _module in (
    collector_cmds,
    alerts_cmds,
    inventory_cmds,
    inventory_tools_cmds,
    grafana_cmds,
    firmware_cmds,
    demo_cmd,
    serve_cmd,
    backup_cmds,
    archival_cmds,
):
    _module.register(app)

# Errors that are the user's input or environment: shown as one line, never as a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (RegistryError, ServerError, ValidationError, FileNotFoundError)


def main() -> None:
    """Entry point of the ``kho`` script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every job at INFO: the cleaning tick would drown the service logs.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # httpx logs every request's full URL at INFO: webhook and SMS gateway URLs carry keys in their queries.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        app()
    except USER_ERRORS as e:
        err_console.print(f"[bold red]error:[/] {e}")
        raise SystemExit(1) from None
    except (OperationalError, ProgrammingError) as e:
        text = str(e.orig) if e.orig is not None else str(e)
        if "no such table" in text or "does not exist" in text:
            err_console.print("[bold red]error:[/] the registry database is not set up: run `kho db upgrade`")
        else:
            err_console.print(f"[bold red]error:[/] database: {text.splitlines()[0]}")
        raise SystemExit(1) from None
    except Exception as e:  # a user sees one line; the traceback goes to the log at DEBUG
        logging.getLogger("kho").debug("unexpected error", exc_info=True)
        err_console.print(f"[bold red]error:[/] {type(e).__name__}: {e} (KHO_LOG_LEVEL=DEBUG shows the details)")
        raise SystemExit(2) from None
