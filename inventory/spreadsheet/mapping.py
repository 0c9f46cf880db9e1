"""Map column headers of a file list to import fields, by Vietnamese/English synonyms or by ``--mapping``."""

from __future__ import annotations

from dataclasses import dataclass, field

from inventory.errors import RegistryError
from inventory.spreadsheet.messages import t
from inventory.textnorm import normalize

# Field → header spellings (compared after lower-casing and removing diacritics).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fonds": ("phong", "ma phong", "phong so", "so phong", "fonds", "fonds code"),
    "catalogue": ("muc luc", "muc luc so", "so muc luc", "catalogue", "catalogue number"),
    "box_number": ("so hop", "hop so", "hop", "so hop so", "box", "box number", "box no"),
    "file_number": ("so ho so", "ho so so", "so hs", "hs so", "file number", "file no", "file"),
    "title": (
        "tieu de ho so",
        "tieu de",
        "ten ho so",
        "trich yeu noi dung",
        "trich yeu",
        "tieu de ho so tai lieu",
        "title",
    ),
    "date_from": ("thoi gian bat dau", "ngay bat dau", "tu ngay", "bat dau", "start date", "date from", "start"),
    "date_to": ("thoi gian ket thuc", "ngay ket thuc", "den ngay", "ket thuc", "end date", "date to", "end"),
    "dates": ("thoi gian", "thoi gian tai lieu", "nam", "dates", "date range"),
    "retention": ("thoi han bao quan", "thbq", "retention", "retention period"),
    "pages": ("so to", "so trang", "so luong to", "pages", "sheets"),
    "access": ("che do su dung", "che do", "access", "access restriction"),
    "notes": ("ghi chu", "notes", "note", "remarks"),
}
FIELDS = tuple(SYNONYMS)
_LOOKUP = {normalize(s): f for f, names in SYNONYMS.items() for s in names}


@dataclass
class ColumnMap:
    """Field name → column index (0-based)."""

    index: dict[str, int] = field(default_factory=dict)

    def is_usable(self) -> bool:
        return "box_number" in self.index and "title" in self.index

    def require(self, lang: str = "vi") -> None:
        """Raise if a column every import needs is missing."""
        missing = [f for f in ("box_number", "file_number", "title") if f not in self.index]
        if missing:
            raise RegistryError(t("missing_columns", lang, columns=", ".join(missing)))


def parse_mapping(values: list[str], lang: str = "vi") -> dict[str, str]:
    """``["Hộp=box_number", ...]`` → ``{"hop": "box_number"}`` (headers normalised)."""
    out: dict[str, str] = {}
    for v in values:
        header, sep, fld = v.rpartition("=")
        if not sep or not header.strip() or not fld.strip():
            raise RegistryError(t("bad_mapping", lang, value=v))
        fld = fld.strip()
        if fld not in FIELDS:
            raise RegistryError(t("unknown_field", lang, field=fld, known=", ".join(FIELDS)))
        out[normalize(header)] = fld
    return out


def map_headers(
    headers: list[str], overrides: dict[str, str] | None = None, *, lang: str = "vi", strict: bool = True
) -> ColumnMap:
    """Find each field's column; ``overrides`` (normalised header → field) win over the synonyms."""
    overrides = overrides or {}
    cmap = ColumnMap()
    normed = [normalize(h) for h in headers]
    for i, h in enumerate(normed):
        if h in overrides:
            cmap.index[overrides[h]] = i
    for i, h in enumerate(normed):
        fld = _LOOKUP.get(h)
        if fld is not None and fld not in cmap.index and h not in overrides:
            cmap.index[fld] = i
    if strict:
        for h in overrides:
            if h not in normed:
                raise RegistryError(t("unknown_header", lang, header=h))
    return cmap
