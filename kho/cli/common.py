"""What every CLI command shares: the settings, the database, the console and clean error exits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import make_engine, make_sessionmaker
from inventory.privatefiles import private_dir
from kho.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliContext:
    """Lazily built shared objects for one CLI invocation."""

    config_file: Path | None = None
    _settings: Settings | None = None
    _engine: Engine | None = None
    _sessions: sessionmaker[Session] | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file)
            private_dir(self._settings.state_dir)
            try:
                logging.getLogger().setLevel(self._settings.log_level.upper())
            except ValueError:
                err_console.print(f"[yellow]unknown KHO_LOG_LEVEL {self._settings.log_level!r}: using INFO[/]")
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url, self.settings.database.echo)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            self._sessions = make_sessionmaker(self.engine)
        return self._sessions


def ctx_of(ctx: typer.Context) -> CliContext:
    """The CliContext the root callback put on the typer context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    return obj


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error in red and exit (no traceback for users)."""
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
