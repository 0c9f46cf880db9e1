"""QR symbols for label URLs, computed in parallel and turned into compact vector paths.

Mask selection (segno's full penalty evaluation) dominates the cost, so big batches are spread over
worker processes; each symbol is reduced to horizontal runs of dark modules, which is all the PDF needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import segno

# Error correction M (15 % recovery) at least; segno may boost it when the symbol size allows.
QR_ERROR = "m"
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires

Run = tuple[int, int, int]  # (row, first column, length) of dark modules


@dataclass(frozen=True)
class QrSymbol:
    """A QR code reduced to what printing needs: side length in modules (without quiet zone) and dark runs."""

    data: str
    size: int
    error: str
    runs: tuple[Run, ...]


def label_url(base_url: str, token: str) -> str:
    """The URL a label's QR encodes: ``<public base URL>/s/<token>``."""
    return f"{base_url.rstrip('/')}/s/{token}"


def make_symbol(data: str) -> QrSymbol:
    """Encode ``data`` as a QR code (never Micro QR) and reduce it to dark runs."""
    qr = segno.make_qr(data, error=QR_ERROR, boost_error=True)
    runs: list[Run] = []
    for r, row in enumerate(qr.matrix):
        start = -1
        for c, dark in enumerate(row):
            if dark and start < 0:
                start = c
            elif not dark and start >= 0:
                runs.append((r, start, c - start))
                start = -1
        if start >= 0:
            runs.append((r, start, len(row) - start))
    return QrSymbol(data=data, size=int(qr.symbol_size(border=0)[0]), error=str(qr.error), runs=tuple(runs))


def _make_chunk(chunk: Sequence[str]) -> list[QrSymbol]:
    return [make_symbol(d) for d in chunk]


def make_symbols(data: Sequence[str], workers: int | None = None, chunk: int = 250) -> Iterator[QrSymbol]:
    """Symbols for ``data`` in order; uses worker processes for large batches (``workers=1`` disables)."""
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if workers <= 1 or len(data) < 2 * chunk:
        for d in data:
            yield make_symbol(d)
        return
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for symbols in pool.map(_make_chunk, chunks):
            yield from symbols
