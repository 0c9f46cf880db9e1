"""Text normalisation for search: lower case, Vietnamese diacritics removed (đ → d)."""

from __future__ import annotations

import re
import unicodedata

_WORD_RE = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """``"Hồ sơ Đất đai"`` → ``"ho so dat dai"``: same on every SQL backend, so search behaves the same."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(_WORD_RE.findall(stripped.lower()))


def words(text: str) -> list[str]:
    """The normalised words of ``text`` (for building search queries)."""
    return normalize(text).split()
