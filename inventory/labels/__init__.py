"""QR labels for boxes, slots, shelves and rooms: plain label records in, A4 PDF sheets out."""

from inventory.labels.layout import L7160, SheetLayout
from inventory.labels.pdf import render_labels
from inventory.labels.qr import QR_ERROR, QrSymbol, label_url, make_symbols
from inventory.labels.records import LabelRecord

__all__ = ["L7160", "QR_ERROR", "LabelRecord", "QrSymbol", "SheetLayout", "label_url", "make_symbols", "render_labels"]
