"""`kho backup DIR` and `kho restore DIR`: the registry, files and readings, out and back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kho.cli.common import console, ctx_of, fail
from kho.settings import Settings

STEPS = {
    "registry": "sổ đăng ký / registry",
    "files": "tệp / files",
    "influxdb": "số đo / readings (InfluxDB)",
    "checksums": "mã kiểm tra / checksums",
}


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task(title)

        def step(name: str) -> None:
            bar.update(task, description=f"{title}: {STEPS.get(name, name)}")

        yield step


def _with_demo_servers(st: Settings) -> Settings:
    """``st`` pointed at the InfluxDB of a ``kho demo`` using this state directory, unless set explicitly."""
    path = st.state_dir / "demo-ports.json"
    if not path.is_file():
        return st
    try:
        ports = {k: int(v) for k, v in json.loads(path.read_text()).items()}
    except (ValueError, OSError, AttributeError):
        return st
    update: dict[str, object] = {}
    if "url" not in st.influx.model_fields_set and "influx" in ports:
        update["influx"] = st.influx.model_copy(update={"url": f"http://127.0.0.1:{ports['influx']}"})
    if "influx_rpc" not in st.backup.model_fields_set and "influx_rpc" in ports:
        update["backup"] = st.backup.model_copy(update={"influx_rpc": f"127.0.0.1:{ports['influx_rpc']}"})
    return st.model_copy(update=update) if update else st


def backup_cmd(
    ctx: typer.Context,
    dest: Path = typer.Argument(..., help="new or empty directory for the backup"),
) -> None:
    """Back up the registry, photos, secret key, broker/firmware files and InfluxDB while kho runs."""
    from kho.backup import BackupError, backup

    st = _with_demo_servers(ctx_of(ctx).settings)
    try:
        with _steps("sao lưu / backing up") as step:
            res = backup(st, dest, step)
    except BackupError as e:
        fail(str(e))
    files = res.manifest.get("files", {})
    size = sum(int(m["size"]) for m in files.values())
    console.print(f"[green]đã sao lưu / backed up[/] to {res.path}: {len(files)} files, {size / 1e6:.1f} MB")


def restore_cmd(
    ctx: typer.Context,
    src: Path = typer.Argument(..., help="a directory written by `kho backup`"),
) -> None:
    """Restore a backup into an empty registry, state directory and InfluxDB (checksums are checked first)."""
    from kho.backup import BackupError, restore

    st = _with_demo_servers(ctx_of(ctx).settings)
    try:
        with _steps("khôi phục / restoring") as step:
            manifest = restore(st, src, step)
    except BackupError as e:
        fail(str(e))
    console.print(f"[green]đã khôi phục / restored[/] the backup of {manifest.get('created_at', '?')} from {src}")


def register(app: typer.Typer) -> None:
    """Mount ``kho backup`` and ``kho restore`` on the root app."""
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
