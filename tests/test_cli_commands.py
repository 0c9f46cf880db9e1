"""``kho <command>`` loads only the module registering it: the table saying which module that is stays true."""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer
from typer.main import get_command

from kho.cli import COMMAND_MODULES, build_app, command_of


def _top_level(module_name: str) -> set[str]:
    root = typer.Typer()
    root.callback()(lambda: None)
    importlib.import_module(f"kho.cli.{module_name}").register(root)
    group = get_command(root)
    assert isinstance(group, typer.core.TyperGroup)
    return set(group.commands)


def test_the_table_names_each_commands_module() -> None:
    modules = set(COMMAND_MODULES.values())
    registered = {name: module for module in modules for name in _top_level(module)}
    assert registered == COMMAND_MODULES


def test_command_of_skips_root_options() -> None:
    assert command_of(["--config", "kho.toml", "collect", "--x"]) == "collect"
    assert command_of(["--help"]) is None
    assert command_of([]) is None


def test_a_named_command_builds_only_its_module() -> None:
    group = get_command(build_app("collect"))
    assert isinstance(group, typer.core.TyperGroup)
    assert set(group.commands) == {n for n, m in COMMAND_MODULES.items() if m == "collector_cmds"}
    full = get_command(build_app("no-such-command"))
    assert isinstance(full, typer.core.TyperGroup)
    assert set(full.commands) == set(COMMAND_MODULES)


def test_kho_collect_does_not_import_the_document_builders() -> None:
    code = (
        "import sys; sys.argv = ['kho', 'collect', '--help']\n"
        "from kho.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('fpdf', 'openpyxl', 'inventory.archival', 'kho.cli.'))))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    loaded = r.stdout.strip().splitlines()[-1]
    assert "fpdf" not in loaded and "openpyxl" not in loaded and "inventory.archival.documents" not in loaded, loaded
    assert "kho.cli.archival_cmds" not in loaded and "kho.cli.collector_cmds" in loaded, loaded
