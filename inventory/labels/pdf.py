"""Render label records to an A4 PDF: vector QR codes, human code under each, details beside it.

Text uses DejaVu Sans (embedded, subset) so Vietnamese diacritics print correctly on any printer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from fpdf import FPDF

from inventory.labels.layout import L7160, SheetLayout
from inventory.labels.qr import QUIET_ZONE, QrSymbol, label_url, make_symbols
from inventory.labels.records import LabelRecord

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

QR_SIDE_MM = 27.0  # including the quiet zone; ~0.7 mm modules for version 3-4, easy for phone cameras
CODE_PT = 11.0  # read across the aisle: under the QR, as wide as the label (shrunk for very long codes)
LINE_PT = 6.5
MIN_LINE_PT = 5.0  # the fonds name shrinks down to this before it is cut
FIRST_LINE_ROWS = 2  # the first line (the fonds with its full name) may wrap over this many rows


def _require_fonts() -> None:
    for f in (FONT_REGULAR, FONT_BOLD):
        if not f.is_file():
            raise FileNotFoundError(f"font {f} missing: install it with `apt-get install fonts-dejavu-core`")


class LabelPdf:
    """An fpdf2 document that knows how to place labels on a sheet layout."""

    def __init__(self, layout: SheetLayout = L7160, title: str = "kho labels") -> None:
        _require_fonts()
        self.layout = layout
        self.pdf = FPDF(orientation="P", unit="mm", format=(layout.page_w, layout.page_h))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.set_title(title)
        self.pdf.set_creator("kho")
        self.pdf.add_font("DejaVu", "", str(FONT_REGULAR))
        self.pdf.add_font("DejaVu", "B", str(FONT_BOLD))
        self.count = 0
        self._fit_cache: dict[tuple[str, str, float, float], str] = {}

    def add(self, record: LabelRecord, symbol: QrSymbol) -> None:
        """Place one label in the next free position (new page when the sheet is full)."""
        lay = self.layout
        pos = self.count % lay.per_page
        if pos == 0:
            self.pdf.add_page()
        x, y = lay.origin(pos)
        self.count += 1
        pad = lay.padding
        self._draw_qr(symbol, x + pad, y + pad, QR_SIDE_MM)
        pdf = self.pdf
        # the human code on the strip under the QR: centred under it when it fits, else from its left edge on
        size = CODE_PT
        full = lay.label_w - 2 * pad
        pdf.set_font("DejaVu", "B", size)
        while size > LINE_PT and pdf.get_string_width(record.code) > full:
            size -= 0.5
            pdf.set_font("DejaVu", "B", size)
        code = self._fit(record.code, full, "B", size)
        cw = pdf.get_string_width(code)
        cx = x + pad + (QR_SIDE_MM - cw) / 2 if cw <= QR_SIDE_MM else x + pad
        pdf.text(cx, y + pad + QR_SIDE_MM + size * 0.3528 + 0.4, code)
        # detail lines beside the QR, down to its bottom edge (the code's strip stays free)
        tx = x + pad + QR_SIDE_MM + 1.5
        tw = lay.label_w - (tx - x) - pad
        line_h = LINE_PT * 0.3528 * 1.35
        ty = y + pad + 3.0
        max_lines = int((QR_SIDE_MM - 3.0) / line_h) + 1
        lines = list(record.lines[:max_lines])
        if not lines:
            return
        # the first line (the fonds and its full name) wraps, shrinking if two rows are not enough
        first_size = LINE_PT
        pdf.set_font("DejaVu", "", first_size)
        rows = min(FIRST_LINE_ROWS, max(1, max_lines - len(lines) + 1))
        head = self._wrap(lines[0], tw, rows)
        while first_size > MIN_LINE_PT and pdf.get_string_width(head[-1]) > tw:
            first_size -= 0.25
            pdf.set_font("DejaVu", "", first_size)
            head = self._wrap(lines[0], tw, rows)
        for part in head:
            pdf.text(tx, ty, self._fit(part, tw, "", first_size))
            ty += first_size * 0.3528 * 1.35
        pdf.set_font("DejaVu", "", LINE_PT)
        rest = lines[1:]
        free = max_lines - len(head) - len(rest)
        if rest and free >= 0:
            # the last line (usually the title) may wrap over the free lines below it
            rest[-1:] = self._wrap(rest[-1], tw, min(3, free + 1))
        for line in rest[: max(0, max_lines - len(head))]:
            pdf.text(tx, ty, self._fit(line, tw, "", LINE_PT))
            ty += line_h

    def _wrap(self, text: str, width: float, max_lines: int) -> list[str]:
        """Greedy word wrap of ``text`` into at most ``max_lines`` lines (the last one may be cut later)."""
        out: list[str] = []
        current = ""
        for word in text.split():
            trial = f"{current} {word}" if current else word
            if current and self.pdf.get_string_width(trial) > width:
                out.append(current)
                current = word
                if len(out) == max_lines - 1:
                    # everything left goes on the last line; _fit adds the ellipsis
                    rest = text.split()
                    current = " ".join(rest[sum(len(o.split()) for o in out) :])
                    break
            else:
                current = trial
        if current:
            out.append(current)
        return out

    def _fit(self, text: str, width: float, style: str, size: float) -> str:
        """``text`` cut with an ellipsis to fit ``width`` mm (font already set); cached per string."""
        key = (text, style, size, width)
        hit = self._fit_cache.get(key)
        if hit is not None:
            return hit
        out = text
        if self.pdf.get_string_width(out) > width:
            while out and self.pdf.get_string_width(out + "…") > width:
                out = out[:-1]
            out = out.rstrip() + "…"
        if len(self._fit_cache) < 50_000:
            self._fit_cache[key] = out
        return out

    def _draw_qr(self, symbol: QrSymbol, x: float, y: float, side: float) -> None:
        """Draw the dark modules as one filled path (no seams between modules, tiny output)."""
        k = self.pdf.k
        modules = symbol.size + 2 * QUIET_ZONE
        m = side / modules
        ox = (x + QUIET_ZONE * m) * k
        oy = (self.layout.page_h - (y + (QUIET_ZONE + symbol.size) * m)) * k
        mk = m * k
        path = symbol.pdf_path or symbol.path()
        self.pdf._out(f"q 0 g {mk:.4f} 0 0 {mk:.4f} {ox:.3f} {oy:.3f} cm {path} f Q")

    def output(self, out: Path) -> None:
        """Write the PDF file."""
        out.parent.mkdir(parents=True, exist_ok=True)
        # fontTools logs every subsetting step at INFO: noise on the operator's terminal
        logging.getLogger("fontTools").setLevel(max(logging.WARNING, logging.getLogger("fontTools").level))
        self.pdf.output(str(out))


def render_labels(
    records: Sequence[LabelRecord],
    base_url: str,
    out: Path,
    *,
    layout: SheetLayout = L7160,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    title: str = "kho labels",
) -> int:
    """Write ``records`` as labels to ``out`` (PDF); returns the number of pages.

    ``progress(n)`` is called with the number of labels just placed (for a progress bar).
    """
    if not records:
        raise ValueError("no labels to print")
    doc = LabelPdf(layout, title=title)
    normalized = [r.normalized() for r in records]
    urls = [label_url(base_url, r.token) for r in normalized]
    step = 0
    for record, symbol in zip(normalized, _symbols(urls, workers), strict=True):
        doc.add(record, symbol)
        step += 1
        if progress is not None and step == 50:
            progress(step)
            step = 0
    if progress is not None and step:
        progress(step)
    doc.output(out)
    return doc.pdf.page


def _symbols(urls: Sequence[str], workers: int | None) -> Iterable[QrSymbol]:
    return make_symbols(urls, workers=workers)
