"""`kho archival …`: organisations, fonds open/closed, the due list, transfer batches, reorganisations."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import ModuleType

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from inventory.archival import backlog as bl
from inventory.archival import destruction as de
from inventory.archival import orgs
from inventory.archival import reorganisation as ro
from inventory.archival import transfers as tr
from inventory.archival.due import due_files, due_summary
from inventory.db import session_scope
from inventory.services import get_fonds
from kho.cli.common import console, ctx_of, fail


def _docs() -> ModuleType:
    """The document builders (fpdf2, openpyxl), imported when a command writes a document: every ``kho``
    process (``kho collect`` too) imports this module, and they cost about 40 MB."""
    from inventory.archival import documents

    return documents


archival_app = typer.Typer(
    help="Archival duties: organisations, transfers (giao nộp), reorganisations (chia, tách, sáp nhập…).",
    no_args_is_help=True,
)
org_app = typer.Typer(help="Organisations sharing this kho (cơ quan, tổ chức).", no_args_is_help=True)
batch_app = typer.Typer(help="Transfer batches (lô giao nhận).", no_args_is_help=True)
reorg_app = typer.Typer(
    help="Reorganisation handovers (chia, tách, sáp nhập, hợp nhất, giải thể).", no_args_is_help=True
)
archival_app.add_typer(org_app, name="org")
archival_app.add_typer(batch_app, name="batch")
archival_app.add_typer(reorg_app, name="reorg")

CLI_ACTOR = "cli"


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    code: str,
    name: str,
    kind: str = typer.Option("agency", "--kind", help="agency | superior | historical_archive | commune"),
    parent: str | None = typer.Option(None, "--parent", help="code of the direct superior body"),
    historical_archive: str | None = typer.Option(None, "--historical-archive", help="code of its historical archive"),
    transfer_source: bool = typer.Option(True, "--transfer-source/--not-transfer-source", help="nguồn nộp lưu"),
) -> None:
    """Register an organisation."""
    with session_scope(ctx_of(ctx).sessions) as s:
        o = orgs.create_organisation(
            s, code, name, kind, parent=parent, historical_archive=historical_archive, transfer_source=transfer_source
        )
        console.print(f"[green]organisation {o.code} added[/] ({o.kind})")


@org_app.command("list")
def org_list(ctx: typer.Context) -> None:
    """List organisations with the boxes each keeps."""
    table = Table("code", "name", "kind", "transfer source", "boxes kept")
    with session_scope(ctx_of(ctx).sessions) as s:
        for o in orgs.list_organisations(s):
            table.add_row(
                o.code, o.name, o.kind, "yes" if o.transfer_source else "no", str(orgs.boxes_kept_by(s, o.id))
            )
    console.print(table)


@org_app.command("fonds")
def org_fonds(
    ctx: typer.Context,
    fonds: str,
    org: str,
    rule: str | None = typer.Option(None, "--rule", help="5y | 30y | 2011: when permanent files are due"),
) -> None:
    """Make a fonds belong to an organisation."""
    with session_scope(ctx_of(ctx).sessions) as s:
        orgs.assign_fonds(s, get_fonds(s, fonds), orgs.get_organisation(s, org), transfer_rule=rule)
    console.print(f"[green]fonds {fonds.upper()} belongs to {org.upper()}[/]")


@org_app.command("close-fonds")
def close_fonds(
    ctx: typer.Context,
    fonds: str,
    on: str = typer.Option(..., "--on", help="date the body ended, YYYY-MM-DD"),
    reason: str = typer.Option(..., "--reason", help="chia | tach | sap_nhap | hop_nhat | giai_the | ket_thuc"),
    successor: list[str] = typer.Option([], "--successor", help="fonds that takes over (repeatable)"),
) -> None:
    """Close a fonds (khóa phông): it accepts no new boxes or files."""
    with session_scope(ctx_of(ctx).sessions) as s:
        orgs.close_fonds(s, get_fonds(s, fonds), _date(on), reason, [get_fonds(s, c) for c in successor])
    console.print(f"[green]fonds {fonds.upper()} closed from {on}[/]")


@org_app.command("user")
def org_user(
    ctx: typer.Context,
    username: str,
    org: str | None = typer.Argument(None, help="organisation code; leave out for every organisation"),
) -> None:
    """Tie a user to an organisation: their role then applies to its boxes only."""
    with session_scope(ctx_of(ctx).sessions) as s:
        orgs.set_user_organisation(s, username, orgs.get_organisation(s, org) if org else None)
    console.print(f"[green]{username} acts for {org.upper() if org else 'every organisation'}[/]")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"not a date (YYYY-MM-DD): {text!r}")


@archival_app.command("due")
def due(
    ctx: typer.Context,
    org: str,
    year: int = typer.Option(date.today().year, "--year", help="due by the end of this year"),
    limit: int = typer.Option(200, "--limit", help="rows to print"),
) -> None:
    """Files an organisation must transfer by the end of a year; overdue ones first, in red."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        o = orgs.get_organisation(s, org)
        files = due_files(s, o, year, date.today(), c.settings.archival)
    table = Table("box", "file", "title", "into", "due", "")
    for d in files[:limit]:
        table.add_row(
            d.box_code,
            str(d.number),
            d.title[:60],
            d.stage,
            str(d.due_year or "?"),
            "[red]quá hạn / overdue[/]" if d.overdue else (d.in_batch or ""),
        )
    console.print(table)
    sm = due_summary(files)
    console.print(
        f"{sm['files']} hồ sơ / files in {sm['boxes']} hộp / boxes · [red]{sm['overdue']} quá hạn / overdue[/] · "
        f"{sm['in_batch']} in a batch · {sm['no_year']} without an end year"
    )


@batch_app.command("create")
def batch_create(
    ctx: typer.Context,
    sender: str,
    receiver: str,
    fonds: str | None = typer.Option(None, "--fonds"),
    catalogue: int | None = typer.Option(None, "--catalogue"),
    box: list[str] = typer.Option([], "--box", help="box code (repeatable)"),
    due_year: int | None = typer.Option(None, "--due-year", help="boxes holding files due by the end of this year"),
    title: str = typer.Option("", "--title", help="name of the records (tên tài liệu)"),
    legal_basis: str = typer.Option("", "--legal-basis"),
) -> None:
    """Open a transfer batch and put boxes on its list."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        b = tr.create_batch(s, sender, receiver, CLI_ACTOR, title=title, legal_basis=legal_basis)
        n = tr.select_boxes(
            s,
            b,
            CLI_ACTOR,
            fonds=fonds,
            catalogue=catalogue,
            box_codes=box or None,
            due_year=due_year,
            cfg=c.settings.archival,
        )
        problems = tr.check_batch(s, b)
        console.print(f"[green]batch {b.code}[/]: {n} boxes on the list")
        for p in problems[:50]:
            console.print(f"[yellow]check[/] {p.box_code} {p.file_number or ''}: {p.what}")


@batch_app.command("import")
def batch_import(
    ctx: typer.Context,
    sender: str,
    receiver: str,
    file: Path = typer.Argument(..., help="the mục lục hồ sơ (XLSX) in kho's export format"),
    title: str = typer.Option("", "--title"),
) -> None:
    """Receive a batch from a sender without kho: its boxes are registered and listed as scanned out."""
    from inventory.archival.batch_import import import_batch

    with session_scope(ctx_of(ctx).sessions) as s:
        b = import_batch(s, sender, receiver, file.read_bytes(), CLI_ACTOR, title=title)
        console.print(f"[green]batch {b.code}[/]: {len(b.items)} boxes listed; scan them in as they arrive")


def _print_report(rep: tr.BatchReport) -> None:
    table = Table("", "boxes")
    for k, v in rep.counts().items():
        table.add_row(k, str(v))
    console.print(table)
    if rep.missing:
        console.print(f"[red]not received:[/] {', '.join(rep.missing[:50])}")
    if rep.unexpected:
        console.print(f"[red]unexpected:[/] {', '.join(rep.unexpected)}")


@batch_app.command("show")
def batch_show(ctx: typer.Context, code: str) -> None:
    """Where every box of a batch stands, at each end."""
    with session_scope(ctx_of(ctx).sessions) as s:
        b = tr.get_batch(s, code)
        console.print(f"[bold]{b.code}[/] {b.state}: {b.sender.name} → {b.receiver.name}")
        _print_report(tr.batch_report(s, b))


@batch_app.command("scan")
def batch_scan(
    ctx: typer.Context,
    code: str,
    side: str = typer.Option(..., "--side", help="out (sender) | in (receiver)"),
    codes: list[str] = typer.Argument(None, help="box codes or label URLs"),
    file: Path | None = typer.Option(None, "--file", help="a text file of scanned codes, one per line"),
) -> None:
    """Record scans from a scanner's list."""
    raws = [*(codes or []), *(file.read_text().split() if file else [])]
    if not raws:
        fail("give codes or --file")
    totals = {"ok": 0, "again": 0, "unexpected": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as pr:
        task = pr.add_task("Đang ghi nhận / scanning", total=len(raws))
        for i in range(0, len(raws), 500):
            with session_scope(ctx_of(ctx).sessions) as s:
                got = tr.scan_many(s, tr.get_batch(s, code), side, raws[i : i + 500], CLI_ACTOR)
            for k, v in got.items():
                totals[k] += v
            pr.advance(task, len(raws[i : i + 500]))
    console.print(f"ok {totals['ok']} · again {totals['again']} · [red]unexpected {totals['unexpected']}[/]")


@batch_app.command("missing")
def batch_missing(ctx: typer.Context, code: str, box: str, note: str = typer.Option("", "--note")) -> None:
    """Declare a box of the list missing (a search task is opened)."""
    with session_scope(ctx_of(ctx).sessions) as s:
        tr.declare_missing(s, tr.get_batch(s, code), box, CLI_ACTOR, note)
    console.print(f"[yellow]{box} declared missing; a search task is open[/]")


@batch_app.command("unexpected")
def batch_unexpected(
    ctx: typer.Context, code: str, box: str, accept: bool = typer.Option(..., "--accept/--send-back")
) -> None:
    """Accept an unexpected box into the batch, or send it back."""
    with session_scope(ctx_of(ctx).sessions) as s:
        tr.resolve_unexpected(s, tr.get_batch(s, code), box, accept, CLI_ACTOR)
    console.print(f"[green]{box} {'accepted' if accept else 'sent back'}[/]")


@batch_app.command("close")
def batch_close(ctx: typer.Context, code: str) -> None:
    """Close a batch once every box is accounted for."""
    with session_scope(ctx_of(ctx).sessions) as s:
        rep = tr.close_batch(s, tr.get_batch(s, code), CLI_ACTOR)
    console.print(f"[green]batch {code.upper()} closed[/]: {len(rep.received)} boxes handed over")


@batch_app.command("documents")
def batch_documents(ctx: typer.Context, code: str, out: Path = typer.Option(Path("."), "--out")) -> None:
    """Write the biên bản giao nhận (PDF) and the mục lục hồ sơ (PDF, XLSX) of a batch."""
    out.mkdir(parents=True, exist_ok=True)
    with session_scope(ctx_of(ctx).sessions) as s:
        b = tr.get_batch(s, code)
        for name, render in (
            ("bien-ban.pdf", _docs().bien_ban_pdf),
            ("muc-luc.pdf", _docs().muc_luc_pdf),
            ("muc-luc.xlsx", _docs().muc_luc_xlsx),
        ):
            path = out / f"{b.code}-{name}"
            path.write_bytes(render(s, b))
            console.print(f"[green]✓[/] {path}")


@reorg_app.command("register")
def reorg_register(
    ctx: typer.Context,
    decision: str = typer.Option(..., "--decision", help="e.g. 'Quyết định 123/QĐ-UBND'"),
    on: str = typer.Option(..., "--on", help="decision date, YYYY-MM-DD"),
    kind: str = typer.Option(..., "--kind", help="chia | tach | sap_nhap | hop_nhat | giai_the | ket_thuc"),
    ended: list[str] = typer.Option(..., "--ended", help="organisation that ends (repeatable)"),
    receiving: list[str] = typer.Option([], "--receiving", help="organisation that receives (repeatable)"),
) -> None:
    """Register a reorganisation decision: the ended bodies' fonds close from its date."""
    with session_scope(ctx_of(ctx).sessions) as s:
        r = ro.register_reorganisation(s, decision, _date(on), kind, ended, receiving, CLI_ACTOR)
        console.print(f"[green]reorganisation {r.id}[/]: {r.boxes_before} boxes to account for; fonds closed")


@reorg_app.command("handover")
def reorg_handover(
    ctx: typer.Context,
    reorg_id: int,
    merger_receiver: str | None = typer.Option(None, "--merger-receiver", help="receiver chosen for a merger"),
) -> None:
    """Open the handover batches the rules propose."""
    with session_scope(ctx_of(ctx).sessions) as s:
        for b in ro.start_handover(s, ro.get_reorganisation(s, reorg_id), CLI_ACTOR, merger_receiver=merger_receiver):
            console.print(f"[green]{b.code}[/] {b.sender.code} → {b.receiver.code}: {len(b.items)} boxes")


@reorg_app.command("report")
def reorg_report(ctx: typer.Context, reorg_id: int) -> None:
    """The reconciliation: every box of every ended fonds accounted for."""
    with session_scope(ctx_of(ctx).sessions) as s:
        rec = ro.reconcile(s, ro.get_reorganisation(s, reorg_id))
    table = Table("fonds", "status", "boxes", "received", "in place", "missing (searched)", "unaccounted", "earlier")
    for f in rec.fonds:
        table.add_row(
            f.fonds_code,
            f.status,
            str(f.total),
            str(f.received),
            str(f.in_place),
            str(f.missing_searched),
            ", ".join(f.unaccounted[:10]) or "0",
            str(f.transferred_earlier),
        )
    console.print(table)
    console.print(
        f"before {rec.boxes_before} · now {rec.boxes_now} · open batches {', '.join(rec.open_batches) or '-'}"
    )
    console.print("[green]complete[/]" if rec.complete else "[yellow]not complete[/]")


@archival_app.command("remind")
def remind(
    ctx: typer.Context, force: bool = typer.Option(False, "--force", help="send even outside the reminder month")
) -> None:
    """Queue this year's due-transfer reminders to the heads of archive (once a year per contact)."""
    from alerts.transfer_reminder import DueTransferReminder

    c = ctx_of(ctx)
    n = DueTransferReminder(c.sessions, c.settings.archival).run(date.today(), force=force)
    console.print(f"[green]{n} reminder(s) queued[/]")


@archival_app.command("backlog")
def backlog(ctx: typer.Context) -> None:
    """The unarranged backlog per organisation and for the province: metres left, the deadline, the rate needed."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        per, province = bl.burn_down(s, date.today(), c.settings.archival)
    table = Table("organisation", "unarranged m", "arranged m", "deadline", "needed m/year", "last 12 months", "")
    for b in [*per, province]:
        table.add_row(
            b.name,
            f"{b.unarranged:.2f}",
            f"{b.arranged:.2f}",
            b.deadline.isoformat() if b is not province else "",
            f"{b.needed_per_year:.2f}",
            f"{b.recent_per_year:.2f}" if b is not province else "",
            "[green]kịp hạn / on track[/]" if b.on_track else "[red]chậm / behind[/]",
        )
    console.print(table)


@archival_app.command("backlog-add")
def backlog_add(
    ctx: typer.Context,
    fonds: str,
    metres: float | None = typer.Option(None, "--metres", help="estimated metres"),
    bundle: list[float] = typer.Option([], "--bundle", help="a bundle's stack height in cm (repeatable)"),
    on: str | None = typer.Option(None, "--on", help="date measured, YYYY-MM-DD (default today)"),
) -> None:
    """Register unarranged holdings of a fonds."""
    with session_scope(ctx_of(ctx).sessions) as s:
        e = bl.register_backlog(
            s, fonds, _date(on) if on else date.today(), CLI_ACTOR, metres=metres, stack_heights_cm=bundle or None
        )
        console.print(f"[green]{e.metres:.2f} m registered[/] ({e.bundles} bundles)")


@archival_app.command("backlog-arranged")
def backlog_arranged(
    ctx: typer.Context,
    fonds: str,
    metres: float | None = typer.Option(None, "--metres"),
    catalogue: int | None = typer.Option(None, "--catalogue", help="the catalogue the arrangement produced"),
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (default today)"),
) -> None:
    """Record metres arranged (chỉnh lý) of a fonds' backlog."""
    with session_scope(ctx_of(ctx).sessions) as s:
        e = bl.record_arranged(
            s, fonds, _date(on) if on else date.today(), CLI_ACTOR, metres=metres, catalogue=catalogue
        )
        console.print(f"[green]{e.metres:.2f} m arranged[/]")


retention_app = typer.Typer(help="Retention tables (bảng thời hạn lưu trữ).", no_args_is_help=True)
archival_app.add_typer(retention_app, name="retention")


@retention_app.command("import")
def retention_import(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="table name, e.g. 'Thông tư 10/2022/TT-BNV'"),
    file: Path = typer.Argument(..., help="XLSX or CSV: code, title, retention ('Vĩnh viễn' or years)"),
    org: str | None = typer.Option(None, "--org", help="an organisation's own table (default: shared)"),
) -> None:
    """Import (replace) a retention table."""
    from inventory.archival import retention as rt

    with session_scope(ctx_of(ctx).sessions) as s:
        n = rt.import_retention_table(s, table, file.read_bytes(), file.name, organisation=org, actor=CLI_ACTOR)
    console.print(f"[green]{n} rules imported into {table}[/]")


@retention_app.command("set")
def retention_set(ctx: typer.Context, box: str, file_number: int, table: str, code: str) -> None:
    """Set a file's retention from a rule of a table."""
    from inventory.archival import retention as rt

    with session_scope(ctx_of(ctx).sessions) as s:
        years = rt.set_file_retention(s, box, file_number, table, code, CLI_ACTOR)
    console.print(
        f"[green]{box} / {file_number}: {'vĩnh viễn / permanent' if years is None else f'{years} năm / years'}[/]"
    )


destruction_app = typer.Typer(
    help="Destruction of expired records (tiêu hủy tài liệu hết giá trị).", no_args_is_help=True
)
archival_app.add_typer(destruction_app, name="destruction")


@destruction_app.command("expired")
def destruction_expired(ctx: typer.Context, org: str, year: int = typer.Option(date.today().year, "--year")) -> None:
    """Files whose retention has expired by a year (never permanent ones)."""
    with session_scope(ctx_of(ctx).sessions) as s:
        files = de.expired_files(s, orgs.get_organisation(s, org), year)
    table = Table("box", "file", "title", "ended", "retention", "expired")
    for f in files:
        table.add_row(
            f.box_code, str(f.number), f.title[:60], str(f.year_ended), str(f.retention_years), str(f.expired_in)
        )
    console.print(table)
    console.print(f"{len(files)} hồ sơ / files")


@destruction_app.command("open")
def destruction_open(ctx: typer.Context, org: str, year: int = typer.Option(date.today().year, "--year")) -> None:
    """Start a destruction file with every expired file on its list."""
    with session_scope(ctx_of(ctx).sessions) as s:
        r = de.open_review(s, org, year, CLI_ACTOR)
        console.print(f"[green]{r.code}[/] (id {r.id}): {len(de.destroyed_files_of(s, r))} files listed")


@destruction_app.command("member")
def destruction_member(
    ctx: typer.Context, ref: str, name: str, role: str = typer.Option("member", "--role", help=", ".join(de.ROLES))
) -> None:
    """Add a council member."""
    with session_scope(ctx_of(ctx).sessions) as s:
        m = de.add_member(s, de.get_review(s, ref), name, role, CLI_ACTOR)
        console.print(f"[green]member {m.id}[/] {m.name} ({m.role})")


@destruction_app.command("vote")
def destruction_vote(
    ctx: typer.Context,
    ref: str,
    member_id: int,
    approve: bool = typer.Option(..., "--approve/--reject"),
    dissent: str = typer.Option("", "--dissent", help="the member's opinion, for the minutes"),
) -> None:
    """Record a council member's vote."""
    with session_scope(ctx_of(ctx).sessions) as s:
        r = de.get_review(s, ref)
        de.vote(s, r, member_id, approve, CLI_ACTOR, dissent)
        res = de.council_result(s, r)
    console.print(f"approve {res.approve} · reject {res.reject} · not voted {res.pending} of {res.members}")


@destruction_app.command("appraisal")
def destruction_appraisal(
    ctx: typer.Context, ref: str, by: str, opinion: str, on: str = typer.Option(..., "--on", help="YYYY-MM-DD")
) -> None:
    """Record the competent body's appraisal opinion."""
    with session_scope(ctx_of(ctx).sessions) as s:
        de.record_appraisal(s, de.get_review(s, ref), by, opinion, _date(on), CLI_ACTOR)
    console.print("[green]appraisal recorded[/]")


@destruction_app.command("decide")
def destruction_decide(
    ctx: typer.Context, ref: str, number: str, head: str, on: str = typer.Option(..., "--on", help="YYYY-MM-DD")
) -> None:
    """The head's decision; prints the date by which the destruction record must be signed."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        due = de.decide(s, de.get_review(s, ref), number, _date(on), head, CLI_ACTOR, c.settings.archival)
    if due is None:
        console.print("[red]no majority of the council: the list is rejected[/]")
    else:
        console.print(f"[green]decided[/]: sign the destruction record by {due:%d/%m/%Y}")


@destruction_app.command("handover")
def destruction_handover(ctx: typer.Context, ref: str, destroyer: str, on: str = typer.Option(..., "--on")) -> None:
    """Hand the records over to the destroyer."""
    with session_scope(ctx_of(ctx).sessions) as s:
        de.hand_to_destroyer(s, de.get_review(s, ref), destroyer, _date(on), CLI_ACTOR)
    console.print("[green]handed over[/]")


@destruction_app.command("record")
def destruction_record(
    ctx: typer.Context,
    ref: str,
    number: str,
    on: str = typer.Option(..., "--on"),
    out: Path | None = typer.Option(None, "--out", help="write the destruction record PDF here"),
) -> None:
    """The destruction record is signed: files and emptied boxes are marked destroyed."""
    with session_scope(ctx_of(ctx).sessions) as s:
        r = de.get_review(s, ref)
        n = de.sign_record(s, r, number, _date(on), CLI_ACTOR)
        late = r.late
        if out is not None:
            out.write_bytes(_docs().destruction_record_pdf(s, de.get_review(s, ref)))
    console.print(f"[green]destroyed[/]: {n} boxes left their slots" + (" · [red]signed late[/]" if late else ""))


@destruction_app.command("attach")
def destruction_attach(
    ctx: typer.Context,
    ref: str,
    kind: str = typer.Argument(..., help="appraisal | decision | record"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the scan: PDF, JPEG, PNG or WebP"),
) -> None:
    """Attach a scanned document (the appraisal opinion, the decision, the destruction record)."""
    from inventory.archival import destruction_documents as dd  # Pillow only for the command that needs it

    c = ctx_of(ctx)
    with file.open("rb") as f:
        data = f.read(dd.MAX_BYTES + 1)
    with session_scope(c.sessions) as s:
        d = dd.attach(s, de.get_review(s, ref), kind, data, file.name, CLI_ACTOR, c.settings.state_dir)
        console.print(f"[green]{d.filename}[/] attached: {d.media_type}, {d.size} bytes")


@destruction_app.command("deadlines")
def destruction_deadlines(ctx: typer.Context) -> None:
    """Destruction records due soon or late."""
    c = ctx_of(ctx)
    with session_scope(c.sessions) as s:
        warnings = de.record_deadlines(s, date.today(), c.settings.archival)
    for w in warnings:
        colour = "red" if w.days_left < 0 else "yellow"
        console.print(f"[{colour}]{w.code}[/] {w.organisation}: due {w.record_due:%d/%m/%Y} ({w.days_left} days left)")
    if not warnings:
        console.print("nothing due")


def register(app: typer.Typer) -> None:
    """Mount ``kho archival`` on the root app."""
    app.add_typer(archival_app, name="archival")
