"""`kho` command line: one typer app; each area's commands live in their own module here."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from inventory.errors import RegistryError
from kho.cli.common import CliContext, err_console
from kho.localservers import ServerError

if TYPE_CHECKING:
    from types import ModuleType

# Top-level command → the module of this package that registers it (with its ``register(app)``). ``kho <command>``
# imports that module only, so a long-running ``kho collect`` does not carry the document builders, spreadsheet
# and label code of the other commands; ``kho --help``, an unknown command and ``kho.cli.app`` load them all.
# tests/test_cli_errors.py checks this table against what each module registers.
COMMAND_MODULES: dict[str, str] = {
    "db": "db_cmds",
    "sites": "devices_cmds",
    "rooms": "devices_cmds",
    "devices": "devices_cmds",
    "collect": "collector_cmds",
    "simulate": "collector_cmds",
    "status": "collector_cmds",
    "deadletter": "collector_cmds",
    "alerts": "alerts_cmds",
    "users": "inventory_cmds",
    "tokens": "inventory_cmds",
    "shelving": "inventory_cmds",
    "fonds": "inventory_cmds",
    "boxes": "inventory_cmds",
    "schedules": "inventory_cmds",
    "labels": "inventory_tools_cmds",
    "import": "inventory_tools_cmds",
    "export": "inventory_tools_cmds",
    "stats": "inventory_tools_cmds",
    "cleaning": "inventory_tools_cmds",
    "grafana": "grafana_cmds",
    "firmware": "firmware_cmds",
    "broker": "firmware_cmds",
    "demo": "demo_cmd",
    "serve": "serve_cmd",
    "backup": "backup_cmds",
    "restore": "backup_cmds",
    "archival": "archival_cmds",
}


def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", envvar="KHO_CONFIG", help="TOML settings file"),
) -> None:
    ctx.obj = CliContext(config_file=config)


def command_module(name: str) -> ModuleType:
    """The module of this package that registers the command ``name`` (a key of :data:`COMMAND_MODULES`)."""
    return importlib.import_module(f"{__name__}.{COMMAND_MODULES[name]}")


def build_app(command: str | None = None) -> typer.Typer:
    """The ``kho`` typer app: with a known ``command`` only the module registering it, otherwise every command."""
    root = typer.Typer(
        name="kho",
        help="kho — archive storage monitoring and box inventory (kho lưu trữ).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    root.callback()(_root)
    names = [command] if command in COMMAND_MODULES else list(COMMAND_MODULES)
    for module_name in dict.fromkeys(COMMAND_MODULES[n] for n in names):
        importlib.import_module(f"{__name__}.{module_name}").register(root)
    return root


def command_of(argv: Sequence[str]) -> str | None:
    """The top-level command named in ``argv`` (the arguments after the program name), skipping the root options."""
    args = iter(argv)
    for arg in args:
        if arg == "--config":
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def __getattr__(name: str) -> typer.Typer:
    # ``kho.cli.app``: every command (tests and documentation tools invoke it); built on first use.
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(name)


# Errors that are the user's input or environment: shown as one line, never as a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (RegistryError, ServerError, ValidationError, FileNotFoundError)


def main() -> None:
    """Entry point of the ``kho`` script."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every job at INFO: the cleaning tick would drown the service logs.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # httpx logs every request's full URL at INFO: webhook and SMS gateway URLs carry keys in their queries.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic announces each of its plugins at INFO when it is imported (by the command modules, after this).
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        build_app(command_of(sys.argv[1:]))()
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
