"""QR symbols for label URLs, computed in parallel and turned into compact vector paths.

Mask selection dominates the cost of a QR code in pure Python: it is done here on row bitmasks with the
mask patterns cached per version, and big batches are also spread over worker processes. Each symbol is
reduced to horizontal runs of dark modules, which is all the PDF needs.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache

import segno
from segno import encoder as segno_encoder

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
    # path() precomputed where the symbol was made (a worker process), so the PDF writer only places it
    pdf_path: str = ""

    def path(self) -> str:
        """PDF path operators of the dark modules in module units, origin at the symbol's bottom-left corner
        (the page places and scales it with one ``cm`` operator)."""
        h = self.size
        return " ".join(f"{c} {h - r - 1} {n} 1 re" for r, c, n in self.runs)


def label_url(base_url: str, token: str) -> str:
    """The URL a label's QR encodes: ``<public base URL>/s/<token>``."""
    return f"{base_url.rstrip('/')}/s/{token}"


_ECL_BITS = {"L": 1, "M": 0, "Q": 3, "H": 2}
_DARK_RUNS = re.compile(r"1+")
_N1 = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=1011101)")


@lru_cache(maxsize=64)
def _mask_rows(version: int, mask: int) -> tuple[int, ...]:
    """Per row, the bits a data mask flips: its pattern restricted to the encoding region (cached per version)."""
    width = 17 + 4 * version
    fm = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(fm, width, width)
    segno_encoder.add_alignment_patterns(fm, width, width)
    fm[-8][8] = 0x1  # the dark module is not data
    pattern = segno_encoder.get_data_mask_functions(False)[mask]
    rows = []
    for i in range(width):
        bits = 0
        for j in range(width):
            bits = (bits << 1) | (1 if fm[i][j] > 0x1 and pattern(i, j) else 0)
        rows.append(bits)
    return tuple(rows)


@lru_cache(maxsize=256)
def _format_rows(version: int, error: str, mask: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(cells of both format-information copies, their bits for this error level and mask), per row (ISO 7.9)."""
    width = 17 + 4 * version
    data = (_ECL_BITS[error] << 3) | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    bits = ((data << 10) | rem) ^ 0x5412
    cells: list[tuple[int, int, int]] = []  # (row, col, bit index)
    cells += [(i, 8, i) for i in range(6)] + [(7, 8, 6), (8, 8, 7), (8, 7, 8)]
    cells += [(8, 14 - i, i) for i in range(9, 15)]
    cells += [(8, width - 1 - i, i) for i in range(8)] + [(width - 15 + i, 8, i) for i in range(8, 15)]
    area = [0] * width
    value = [0] * width
    for r, c, b in cells:
        area[r] |= 1 << (width - 1 - c)
        if (bits >> b) & 1:
            value[r] |= 1 << (width - 1 - c)
    value[width - 8] |= 1 << (width - 1 - 8)  # the dark module
    area[width - 8] |= 1 << (width - 1 - 8)
    return tuple(area), tuple(value)


def _penalty(rows: list[int], width: int) -> int:
    """ISO/IEC 18004 §7.8.3 penalty (N1 runs, N2 blocks, N3 finder-like patterns, N4 balance) of a final symbol."""
    strs = [format(r, f"0{width}b") for r in rows]
    lines = strs + ["".join(c) for c in zip(*strs, strict=True)]
    score = 0
    # one regex pass over all rows and columns: "2" separates lines for N1, "0000" (light, like the quiet
    # zone) for N3; a 1:1:3:1:1 pattern contains no four light modules, so it never spans two lines
    for m in _N1.finditer("2".join(lines)):
        score += len(m.group()) - 2
    text = "0000" + "0000".join(lines) + "0000"
    for m in _FINDER_LIKE.finditer(text):
        p = m.start()
        if text[p - 4 : p] == "0000" or text[p + 7 : p + 11] == "0000":
            score += 40
    full = (1 << width) - 1
    for a, b in itertools.pairwise(rows):
        same_v = ~(a ^ b) & full
        same_h = ~(a ^ (a >> 1)) & (full >> 1)
        score += 3 * (same_v & (same_v >> 1) & same_h).bit_count()
    dark = sum(r.bit_count() for r in rows)
    total = width * width
    score += 10 * (abs(dark * 20 - total * 10) // total)
    return score


def make_symbol(data: str) -> QrSymbol:
    """Encode ``data`` as a QR code (never Micro QR) with the lowest-penalty mask, reduced to dark runs.

    segno builds the symbol once with mask 0; the other seven masks are tried on row bitmasks (masks and
    format cells cached per version), which is several times faster than segno's own per-module evaluation.
    """
    qr = segno.make_qr(data, error=QR_ERROR, boost_error=True, mask=0)
    version = int(qr.version)
    width = 17 + 4 * version
    error = str(qr.error)
    base = [int(bytes(row).translate(_BITS), 2) for row in qr.matrix]
    m0 = _mask_rows(version, 0)
    unmasked = [r ^ m for r, m in zip(base, m0, strict=True)]
    best: list[int] | None = None
    best_score = -1
    for mask in range(8):
        mk = _mask_rows(version, mask)
        area, value = _format_rows(version, error, mask)
        rows = [((u ^ m) & ~a) | v for u, m, a, v in zip(unmasked, mk, area, value, strict=True)]
        score = _penalty(rows, width)
        if best is None or score < best_score:
            best, best_score = rows, score
    assert best is not None
    runs: list[Run] = []
    for r, row in enumerate(best):
        for m in _DARK_RUNS.finditer(format(row, f"0{width}b")):
            runs.append((r, m.start(), m.end() - m.start()))
    sym = QrSymbol(data=data, size=width, error=error, runs=tuple(runs))
    return replace(sym, pdf_path=sym.path())


def decode_matrix(symbol: QrSymbol) -> list[list[int]]:
    """The symbol as a 0/1 matrix (for tests and debugging)."""
    m = [[0] * symbol.size for _ in range(symbol.size)]
    for r, c, n in symbol.runs:
        for j in range(c, c + n):
            m[r][j] = 1
    return m


_BITS = bytes.maketrans(bytes([0, 1]), b"01")


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
