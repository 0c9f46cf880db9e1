"""Label sheet geometry (millimetres, origin top-left of the page)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SheetLayout:
    """A grid of equal labels on a page; ``pitch`` = label size + gap."""

    name: str
    page_w: float
    page_h: float
    cols: int
    rows: int
    label_w: float
    label_h: float
    margin_left: float
    margin_top: float
    pitch_x: float
    pitch_y: float
    padding: float = 2.0

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def origin(self, index_on_page: int) -> tuple[float, float]:
        """Top-left corner of label ``index_on_page`` (filled row by row)."""
        row, col = divmod(index_on_page, self.cols)
        return self.margin_left + col * self.pitch_x, self.margin_top + row * self.pitch_y


# The common A4 3×7 sheet (Avery L7160 / Tanex / Decal A4 21 nhãn): 63.5 × 38.1 mm labels.
L7160 = SheetLayout(
    name="A4 3x7 (L7160)",
    page_w=210.0,
    page_h=297.0,
    cols=3,
    rows=7,
    label_w=63.5,
    label_h=38.1,
    margin_left=7.2,
    margin_top=15.15,
    pitch_x=66.04,
    pitch_y=38.1,
)
