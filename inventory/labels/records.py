"""The plain data a label needs; built from the database by ``inventory.labels.source``."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LabelRecord:
    """One label: the token the QR encodes, the human code printed under it, and a few detail lines.

    ``lines`` are printed beside the QR, top to bottom (fonds, catalogue, box number, date range, title...).
    """

    token: str
    code: str
    kind: str = "box"
    lines: tuple[str, ...] = field(default=())

    def normalized(self) -> LabelRecord:
        """The same record with text in Unicode NFC (precomposed Vietnamese letters render from one glyph)."""
        return LabelRecord(
            token=self.token,
            code=unicodedata.normalize("NFC", self.code),
            kind=self.kind,
            lines=tuple(unicodedata.normalize("NFC", line) for line in self.lines),
        )
