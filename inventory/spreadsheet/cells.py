"""Cell values that a spreadsheet shows as text, never runs: formula neutralisation for CSV and XLSX exports.

Text a keeper typed (a custodian's name, a condition) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be taken by Excel or LibreOffice as a formula (``=HYPERLINK(…)``, ``=cmd|…``), and openpyxl
writes a string starting with ``=`` as a formula. Such text gets a leading apostrophe, the spreadsheet convention
for "this is text"; numbers and dates are left alone.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "｜", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it literally (text that could start a formula gets a leading ``'``)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
