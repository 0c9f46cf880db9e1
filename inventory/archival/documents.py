"""The documents of a transfer: the mục lục hồ sơ (file list; permanent and limited-term files listed
separately) as XLSX and PDF, and the biên bản giao nhận (handover record) as a PDF in 2 copies.

PDFs use DejaVu Sans (embedded) so that Vietnamese prints with its diacritics; layout follows the fields the
Thông tư 06/2025/TT-BNV forms ask for (see docs/archival.md).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from inventory.archival.models import DestructionReview, TransferBatch
from inventory.archival.transfers import BatchTotals, ListedFile, batch_files, batch_totals
from inventory.labels.pdf import FONT_BOLD, FONT_REGULAR, _require_fonts

PERMANENT_TITLE = "MỤC LỤC HỒ SƠ BẢO QUẢN VĨNH VIỄN"
LIMITED_TITLE = "MỤC LỤC HỒ SƠ BẢO QUẢN CÓ THỜI HẠN"
COLUMNS = (
    ("Hộp số", 14),
    ("Hồ sơ số", 14),
    ("Tiêu đề hồ sơ", 100),
    ("Thời gian bắt đầu", 24),
    ("Thời gian kết thúc", 24),
    ("Số tờ", 12),
    ("Thời hạn lưu trữ", 22),
    ("Ghi chú", 45),
)


def _d(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _retention(years: int | None) -> str:
    return "Vĩnh viễn" if years is None else f"{years} năm"


def split_by_retention(files: Sequence[ListedFile]) -> tuple[list[ListedFile], list[ListedFile]]:
    """(permanent, limited-term) files, each in list order."""
    return [f for f in files if f.retention_years is None], [f for f in files if f.retention_years is not None]


def _row(f: ListedFile) -> list[str | int]:
    return [
        f.box_number,
        f.number,
        f.title,
        _d(f.date_from),
        _d(f.date_to),
        f.pages,
        _retention(f.retention_years),
        f.notes,
    ]


def muc_luc_xlsx(session: Session, batch: TransferBatch) -> bytes:
    """The file list as a workbook: one sheet of permanent files, one of limited-term files; the same columns an
    import reads back (``Phông``, ``Mục lục`` and ``Mã hộp`` make each row self-contained)."""
    permanent, limited = split_by_retention(batch_files(session, batch))
    wb = Workbook()
    wb.remove(wb.active)
    for title, files in (("Vĩnh viễn", permanent), ("Có thời hạn", limited)):
        ws = wb.create_sheet(title)
        ws.append([PERMANENT_TITLE if files is permanent else LIMITED_TITLE])
        ws.append([f"{batch.sender.name} → {batch.receiver.name} · {batch.code}"])
        ws["A1"].font = Font(bold=True, size=13)
        header = ["Phông", "Mục lục", "Mã hộp", *(c for c, _ in COLUMNS)]
        ws.append(header)
        for cell in ws[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for f in files:
            ws.append([f.fonds_code, f.catalogue, f.box_code, *_row(f)])
        for col, width in zip("ABCDEFGHIJK", (8, 8, 16, 7, 7, 60, 12, 12, 7, 12, 20), strict=True):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _Pdf(FPDF):
    def __init__(self, title: str, orientation: str = "P") -> None:
        _require_fonts()
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font("DejaVu", "", str(FONT_REGULAR))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_title(title)
        self.set_creator("kho")
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")

    def line_text(self, text: str, size: float = 11, style: str = "", align: str = "L", h: float = 6) -> None:
        self.set_font("DejaVu", style, size)
        self.multi_cell(0, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def output_bytes(self) -> bytes:
        # fontTools logs every subsetting step at INFO
        logging.getLogger("fontTools").setLevel(max(logging.WARNING, logging.getLogger("fontTools").level))
        return bytes(self.output())


def _file_table(pdf: _Pdf, title: str, files: Sequence[ListedFile]) -> None:
    pdf.add_page()
    pdf.line_text(title, 13, "B", "C", 8)
    if not files:
        pdf.line_text("(không có hồ sơ)", 10, "", "C")
        return
    pdf.set_font("DejaVu", "", 8.5)
    widths = tuple(w for _, w in COLUMNS)
    with pdf.table(col_widths=widths, line_height=4.6, text_align="LEFT", first_row_as_headings=True) as table:
        table.row([c for c, _ in COLUMNS])
        for f in files:
            table.row([str(v) for v in _row(f)])


def muc_luc_pdf(session: Session, batch: TransferBatch) -> bytes:
    """The file list as a landscape A4 PDF: the permanent list, then the limited-term list, each from a new page."""
    permanent, limited = split_by_retention(batch_files(session, batch))
    pdf = _Pdf(f"Mục lục hồ sơ {batch.code}", orientation="L")
    for title, files in ((PERMANENT_TITLE, permanent), (LIMITED_TITLE, limited)):
        _file_table(pdf, f"{title}\n{batch.sender.name} — {batch.code}", files)
    return pdf.output_bytes()


def _bien_ban_page(pdf: _Pdf, batch: TransferBatch, totals: BatchTotals, copy: int, on: date) -> None:
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    y = pdf.get_y()
    pdf.multi_cell(half, 5, f"{batch.receiver.name.upper()}", align="C")
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 5, f"Bản số {copy}/2 — {'bên giao' if copy == 1 else 'bên nhận'} giữ", align="R")
    pdf.ln(8)
    pdf.line_text("BIÊN BẢN", 15, "B", "C", 8)
    pdf.line_text(f"Về việc giao nhận: {batch.title or batch.sender.name}", 11, "B", "C")
    pdf.ln(3)
    pdf.line_text(f"Căn cứ: {batch.legal_basis or '…'}", 10.5)
    pdf.line_text(
        f"Hôm nay, ngày {on.day:02d} tháng {on.month:02d} năm {on.year}, tại {batch.receiver.name}, chúng tôi gồm:",
        10.5,
    )
    pdf.line_text(f"BÊN GIAO: {batch.sender.name}", 10.5, "B")
    pdf.line_text(f"Ông/Bà: {batch.sender_rep or '…'}    Chức vụ: {batch.sender_rep_position or '…'}", 10.5)
    pdf.line_text(f"BÊN NHẬN: {batch.receiver.name}", 10.5, "B")
    pdf.line_text(f"Ông/Bà: {batch.receiver_rep or '…'}    Chức vụ: {batch.receiver_rep_position or '…'}", 10.5)
    pdf.line_text("Thống nhất lập biên bản giao nhận tài liệu với nội dung như sau:", 10.5)
    span = f"{_d(totals.date_from) or '…'} – {_d(totals.date_to) or '…'}"
    for line in (
        f"1. Tên tài liệu giao nộp: {batch.title or '…'}",
        f"2. Thời gian của tài liệu: {span}",
        f"3. Số lượng tài liệu: {totals.metres:.2f} mét giá, gồm {totals.boxes} hộp (cặp), "
        f"{totals.files} hồ sơ (đơn vị bảo quản)",
        "4. Công cụ tra cứu kèm theo: Mục lục hồ sơ (hồ sơ vĩnh viễn và hồ sơ có thời hạn lập riêng), 02 bản",
        f"5. Tình trạng vật lý của tài liệu giao nộp: {batch.condition or 'tốt'}",
        f"Mã lô giao nhận: {batch.code}",
    ):
        pdf.line_text(line, 10.5)
    pdf.line_text("Biên bản này được lập thành 02 bản; bên giao giữ 01 bản, bên nhận giữ 01 bản.", 10.5)
    pdf.ln(6)
    y = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(half, 5.5, "ĐẠI DIỆN BÊN NHẬN\n(Ký tên và đóng dấu)", align="C")
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5.5, "ĐẠI DIỆN BÊN GIAO\n(Ký tên và đóng dấu)", align="C")
    pdf.ln(22)
    y = pdf.get_y()
    pdf.set_font("DejaVu", "", 10.5)
    pdf.multi_cell(half, 5.5, batch.receiver_rep, align="C")
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5.5, batch.sender_rep, align="C")


def bien_ban_pdf(session: Session, batch: TransferBatch, on: date | None = None) -> bytes:
    """The handover record, 2 copies (one page each: the giver's and the receiver's); signatures receiver left,
    giver right."""
    totals = batch_totals(session, batch)
    day = on or (batch.closed_at.date() if batch.closed_at else date.today())
    pdf = _Pdf(f"Biên bản giao nhận {batch.code}")
    for copy in (1, 2):
        _bien_ban_page(pdf, batch, totals, copy, day)
    return pdf.output_bytes()


def destruction_record_pdf(session: Session, review: DestructionReview) -> bytes:
    """The destruction record (biên bản hủy tài liệu): decision, council result, destroyer, the list of files;
    signatures of the storage side and of the destroyer."""
    from inventory.archival.destruction import council_result, destroyed_files_of

    files = destroyed_files_of(session, review)
    res = council_result(session, review)
    org = review.organisation
    pdf = _Pdf(f"Biên bản hủy tài liệu {review.code}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    y = pdf.get_y()
    pdf.multi_cell(half, 5, org.name.upper(), align="C")
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C")
    pdf.ln(8)
    pdf.line_text("BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ", 14, "B", "C", 8)
    if review.record_number:
        pdf.line_text(f"Số: {review.record_number}", 10.5, "", "C")
    pdf.ln(2)
    signed = review.record_signed_on
    when = f"ngày {signed.day:02d} tháng {signed.month:02d} năm {signed.year}" if signed else "ngày … tháng … năm …"
    decided = _d(review.decision_on) or "…"
    for line in (
        f"Căn cứ Quyết định số {review.decision_number or '…'} ngày {decided} của {review.decided_by or '…'} "
        "về việc hủy tài liệu hết giá trị;",
        f"Hội đồng xác định giá trị tài liệu: {res.approve}/{res.members} thành viên đồng ý"
        + (f", {res.reject} không đồng ý" if res.reject else "")
        + ";",
        f"Ý kiến thẩm định: {review.appraisal_by or '…'} — {review.appraisal_opinion or '…'};",
        f"Hôm nay, {when}, {org.name} giao cho {review.destroyer or '…'} hủy {len(files)} hồ sơ sau:",
    ):
        pdf.line_text(line, 10.5)
    for name, text in res.dissent:
        pdf.line_text(f"Ý kiến khác của {name}: {text}", 9.5)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(30, 14, 110, 26), line_height=4.8, text_align="LEFT") as table:
        table.row(["Hộp", "Hồ sơ số", "Tiêu đề hồ sơ", "Ngày hủy"])
        for code, num, title, on in files:
            table.row([code, str(num), title, _d(on)])
    pdf.ln(4)
    if review.late:
        pdf.line_text(f"Ghi chú: biên bản ký sau thời hạn ({_d(review.record_due)}).", 10, "B")
    pdf.ln(6)
    y = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.multi_cell(half, 5.5, "ĐẠI DIỆN BÊN GIAO TÀI LIỆU\n(Ký, ghi rõ họ tên)", align="C")
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.multi_cell(half, 5.5, "ĐẠI DIỆN BÊN HỦY TÀI LIỆU\n(Ký, ghi rõ họ tên)", align="C")
    return pdf.output_bytes()
