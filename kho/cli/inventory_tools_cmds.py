"""`kho labels print`, `kho import boxes`, `kho export boxes`, `kho stats`, `kho cleaning tick|run|done`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from kho.cli.common import console, ctx_of, fail

labels_app = typer.Typer(help="QR labels for boxes, slots, shelves, units, rooms (in nhãn QR).", no_args_is_help=True)
import_app = typer.Typer(help="Import box lists (nhập mục lục hồ sơ) from XLSX/CSV.", no_args_is_help=True)
export_app = typer.Typer(help="Export boxes with their locations (xuất danh sách hộp).", no_args_is_help=True)
cleaning_tools = typer.Typer(help="Cleaning schedules and tasks (vệ sinh kho).", no_args_is_help=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine only (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress
    from urllib.parse import urlparse

    host = (urlparse(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@labels_app.command("print")
def labels_print(
    ctx: typer.Context,
    fonds: str | None = typer.Option(None, "--fonds", "-f", help="fonds code (phông), e.g. P12"),
    what: str = typer.Option("boxes", "--what", "-w", help="boxes | slots | shelves | units | rooms"),
    out: Path | None = typer.Option(None, "--out", "-o", help="PDF file (default: labels-<fonds>-<what>.pdf)"),
    base_url: str | None = typer.Option(None, "--base-url", help="overrides web.public_base_url"),
    force: bool = typer.Option(False, "--force", help="print even when the base URL is a loopback address"),
) -> None:
    """Print labels as an A4 PDF (3×7 sheet: QR + human code + fonds/catalogue/box and dates)."""
    from inventory.db import session_scope
    from inventory.labels import render_labels
    from inventory.labels.source import What, label_records

    c = ctx_of(ctx)
    try:
        kind = What(what)
    except ValueError:
        fail(f"--what must be one of {', '.join(w.value for w in What)} (got {what!r})")
    url = base_url or c.settings.web.public_base_url
    if not url.startswith(("http://", "https://")):
        fail(f"public base URL must start with http:// or https:// (got {url!r})")
    if _is_loopback(url) and not force:
        fail(
            f"nhãn sẽ trỏ tới {url}: địa chỉ này chỉ mở được trên chính máy chủ, điện thoại quét nhãn sẽ không mở "
            "được. Đặt KHO_WEB__PUBLIC_BASE_URL (hoặc --base-url) là địa chỉ điện thoại truy cập được, hoặc thêm "
            f"--force để vẫn in. / The labels would point at {url}, a loopback address only this machine can open: "
            "a phone scanning them gets nowhere. Set KHO_WEB__PUBLIC_BASE_URL (or --base-url) to an address the "
            "phones reach, or add --force to print anyway."
        )
    out = out or Path(f"labels-{(fonds or 'all').upper()}-{kind.value}.pdf")
    with session_scope(c.sessions) as s:
        records = label_records(s, kind, fonds)
    t0 = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Đang in nhãn / rendering labels", total=len(records))
        pages = render_labels(
            records,
            url,
            out,
            progress=lambda n: progress.advance(task, n),
            title=f"kho labels {fonds or ''} {kind.value}",
        )
    dt = time.perf_counter() - t0
    console.print(
        f"[green]✓[/] {len(records)} nhãn / labels, {pages} trang A4 / pages → {out} ({len(records) / dt:.0f} labels/s)"
    )


@import_app.command("boxes")
def import_boxes(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="XLSX or CSV file list (mục lục hồ sơ)"),
    fonds: str | None = typer.Option(None, "--fonds", "-f", help="fonds code when the file has no 'Phông' column"),
    catalogue: int | None = typer.Option(None, "--catalogue", "-c", help="catalogue number (mục lục số), default 1"),
    fonds_name: str | None = typer.Option(None, "--fonds-name", help="create the fonds with this name if missing"),
    mapping: list[str] = typer.Option(
        [],
        "--mapping",
        "-m",
        help="'Column header=field' (repeatable); fields: "
        "fonds catalogue box_number file_number title date_from date_to dates "
        "retention pages access notes",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="check and report, change nothing"),
    actor: str = typer.Option("import", "--actor", help="recorded as the actor of 'created' events"),
    lang: str | None = typer.Option(None, "--lang", help="vi | en (messages)"),
) -> None:
    """Import boxes and files; all-or-nothing, idempotent (importing the same file twice changes nothing)."""
    from inventory.db import session_scope
    from inventory.spreadsheet.importer import ImportRejected, import_file
    from inventory.spreadsheet.mapping import parse_mapping

    c = ctx_of(ctx)
    lang = lang or c.settings.web.default_language
    overrides = parse_mapping(mapping, lang)
    try:
        with _progress() as progress, session_scope(c.sessions) as s:
            task = progress.add_task("Đang nhập / importing", total=None)
            report = import_file(
                s,
                file,
                actor=actor,
                fonds=fonds,
                catalogue=catalogue,
                fonds_name=fonds_name,
                mapping=overrides,
                dry_run=dry_run,
                lang=lang,
                progress=lambda n: progress.advance(task, n),
            )
            progress.update(task, total=report.rows, completed=report.rows)
    except ImportRejected as e:
        table = Table(title="Lỗi theo dòng / errors by row" if lang != "en" else "Errors by row")
        table.add_column("Dòng / row", justify="right")
        table.add_column("Cột / column")
        table.add_column("Lỗi / error")
        for err in e.report.errors[:200]:
            table.add_row(str(err.row), err.column, err.message)
        console.print(table)
        more = len(e.report.errors) - 200
        if more > 0:
            console.print(f"… {more} more")
        fail(f"{len(e.report.errors)} lỗi, không nhập gì / {len(e.report.errors)} errors, nothing imported")
    verb = "sẽ / would" if report.dry_run else "đã / did"
    console.print(
        f"[green]✓[/] {report.rows} dòng / rows: {verb} tạo / create {report.boxes_created} hộp / boxes, "
        f"{report.files_created} hồ sơ / files; cập nhật / update {report.boxes_updated} hộp, "
        f"{report.files_updated} hồ sơ; không đổi / unchanged {report.files_unchanged}"
        + (" [yellow](chạy thử / dry run: chưa ghi gì / nothing written)[/]" if report.dry_run else "")
    )


@export_app.command("boxes")
def export_boxes_cmd(
    ctx: typer.Context,
    fmt: str = typer.Option("csv", "--format", help="csv | xlsx"),
    out: Path | None = typer.Option(None, "--out", "-o", help="output file (default boxes.<format>)"),
    fonds: str | None = typer.Option(None, "--fonds", "-f", help="only this fonds"),
    lang: str | None = typer.Option(None, "--lang", help="vi | en (column headers)"),
) -> None:
    """Export every box with fonds, catalogue, dates, status and home/current location."""
    from inventory.db import session_scope
    from inventory.spreadsheet.export import export_boxes

    c = ctx_of(ctx)
    if fmt not in ("csv", "xlsx"):
        fail(f"--format must be csv or xlsx (got {fmt!r})")
    out = out or Path(f"boxes.{fmt}")
    with _progress() as progress, session_scope(c.sessions) as s:
        task = progress.add_task("Đang xuất / exporting", total=None)
        n = export_boxes(
            s,
            out,
            fmt,
            fonds=fonds,
            lang=lang or c.settings.web.default_language,
            progress=lambda k: progress.advance(task, k),
        )
        progress.update(task, total=n, completed=n)
    console.print(f"[green]✓[/] {n} hộp / boxes → {out}")


def stats_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Statistics per fonds (boxes, files, linear metres, processed vs backlog) and per room (occupancy)."""
    from dataclasses import asdict

    from inventory.db import session_scope
    from inventory.spreadsheet.stats import fonds_stats, room_stats

    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        fs, rs = fonds_stats(s), room_stats(s)
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "fonds": [asdict(f) for f in fs],
                    "rooms": [asdict(r) | {"occupancy_pct": round(r.occupancy_pct, 1)} for r in rs],
                }
            )
        )
        return
    t = Table(title="Theo phông / per fonds")
    for col in (
        "Phông",
        "Tên / name",
        "Hộp / boxes",
        "Hồ sơ / files",
        "Mét giá / m",
        "Đã chỉnh lý / processed",
        "Tồn đọng / backlog",
    ):
        t.add_column(col)
    for f in fs:
        t.add_row(
            f.code, f.name, str(f.boxes), str(f.files), f"{f.metres:.2f}", str(f.processed_boxes), str(f.backlog_boxes)
        )
    console.print(t)
    r = Table(title="Theo phòng kho / per room")
    for col in (
        "Kho / site",
        "Phòng / room",
        "Vị trí / slots",
        "Sức chứa (hộp) / capacity",
        "Hộp / boxes",
        "Mét giá dùng / m used",
        "Lấp đầy / occupancy",
    ):
        r.add_column(col)
    for x in rs:
        r.add_row(
            x.site,
            x.room,
            str(x.slots),
            str(x.capacity_boxes),
            str(x.boxes),
            f"{x.metres:.2f}",
            f"{x.occupancy_pct:.1f} %",
        )
    console.print(r)


@cleaning_tools.command("tick")
def cleaning_tick(ctx: typer.Context) -> None:
    """Run the cleaning scheduler once: create due tasks, record overdue ones."""
    from inventory.cleaning import CleaningScheduler

    result = CleaningScheduler(ctx_of(ctx).sessions).tick()
    console.print(f"[green]✓[/] {len(result.created)} việc mới / new tasks, {len(result.overdue)} quá hạn / overdue")
    for o in result.overdue:
        console.print(
            f"  [yellow]quá hạn / overdue[/] {o.kind} @ {o.code} (hạn / due {o.due_at:%Y-%m-%d %H:%M} UTC, "
            f"{o.assignee or '—'})"
        )


@cleaning_tools.command("run")
def cleaning_run(
    ctx: typer.Context,
    tick_s: float = typer.Option(60.0, "--every", help="seconds between passes"),
) -> None:
    """Run the cleaning scheduler in the foreground (Ctrl-C stops it); safe next to the web app's own."""
    from inventory.cleaning import CleaningScheduler

    sched = CleaningScheduler(ctx_of(ctx).sessions, tick_s=tick_s)
    sched.start()
    console.print(f"cleaning scheduler running (every {tick_s:g} s); Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sched.shutdown()


@cleaning_tools.command("done")
def cleaning_done(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="room or shelving unit label: URL, token or human code"),
    actor: str = typer.Option(..., "--actor", help="who did the cleaning (username)"),
    kind: str | None = typer.Option(None, "--kind", help="only this kind (floor, dusting, ...)"),
) -> None:
    """Mark the due cleaning tasks of a room or shelving unit done (as scanning its label does)."""
    from inventory.cleaning import complete_task_by_scan
    from inventory.db import session_scope

    with session_scope(ctx_of(ctx).sessions) as s:
        tasks = complete_task_by_scan(s, code, actor, kind)
        console.print(
            f"[green]✓[/] {len(tasks)} việc đã xong / task(s) done: "
            + ", ".join(f"#{t.id} {t.schedule.kind}" for t in tasks)
        )


def register(app: typer.Typer) -> None:
    """Mount the tools' commands; cleaning commands join an existing `cleaning` group if another module made one."""
    app.add_typer(labels_app, name="labels")
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.command("stats")(stats_cmd)
    for info in app.registered_groups:
        if info.name == "cleaning" and info.typer_instance is not None:
            for cmd in cleaning_tools.registered_commands:
                info.typer_instance.registered_commands.append(cmd)
            return
    app.add_typer(cleaning_tools, name="cleaning")
