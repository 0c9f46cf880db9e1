"""User-facing texts of the spreadsheet and label tools: the ``sheet.*`` texts of the one catalogue
(``inventory.i18n``)."""

from __future__ import annotations

from typing import Any

from inventory import i18n


def t(key: str, lang: str = "vi", **kw: Any) -> str:
    """The text ``sheet.<key>`` in ``lang`` (falls back to Vietnamese), formatted with ``kw``."""
    full = f"sheet.{key}"
    if full not in i18n.TEXTS:
        raise KeyError(key)
    return i18n.t(lang, full, None, **kw)
