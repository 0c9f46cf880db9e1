"""Length and range limits of user input, shared by pages, the JSON API and the CLI.

Every text a user can send has a maximum length, every number a range: a value outside them is a clear 4xx with a
message, never a 500 from the database or the ORM.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, Field

CODE_MAX = 64  # box, slot, shelf, room, fonds and device codes
NAME_MAX = 200  # names of people, rooms, fonds; titles of a line
TITLE_MAX = 1000  # file titles
NOTE_MAX = 2000  # notes, comments, damage descriptions
SEARCH_MAX = 200  # a search query
PASSWORD_MAX = 256
INT_MAX = 2**31 - 1  # ids and counts fit a 32-bit SQL integer on every backend
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
IMPORT_MAX_BYTES = 20 * 1024 * 1024
BODY_TEXT_MAX = 20_000  # a JSON text field without a tighter limit


def valid_text(value: str) -> str:
    """``value`` if it can be stored: no lone surrogates (JSON ``"\\ud800"``) and no NUL (PostgreSQL refuses it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (a lone surrogate)") from None
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


def _text(max_length: int) -> Any:
    return Annotated[str, Field(max_length=max_length), AfterValidator(valid_text)]


# Types for request models and parameters (pydantic and FastAPI check them: a clear 422, never a 500).
Code = _text(CODE_MAX)
Name = _text(NAME_MAX)
Title = _text(TITLE_MAX)
Note = _text(NOTE_MAX)
Text = _text(BODY_TEXT_MAX)
Count = Annotated[int, Field(ge=0, le=INT_MAX)]
Number = Annotated[int, Field(ge=1, le=INT_MAX)]  # box, catalogue, file, shelving numbers
Width = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
IdPath = Annotated[int, Path(ge=1, le=INT_MAX)]
RefPath = Annotated[str, Path(max_length=CODE_MAX * 4), AfterValidator(valid_text)]  # a code, token or URL
TextQuery = Annotated[str, Query(max_length=SEARCH_MAX), AfterValidator(valid_text)]

# Page forms: the longest value of each field (one table for every form of every package's pages); a field not
# named here may be up to FORM_FIELD_DEFAULT_MAX. Whole-number fields must be in 0..INT_MAX.
FORM_FIELD_MAX: dict[str, int] = {
    "csrf": 100,
    "username": 64,
    "password": PASSWORD_MAX,
    "next": 2000,
    "back": 2000,
    "slot": CODE_MAX * 4,
    "label": CODE_MAX * 4,
    "code": CODE_MAX * 4,
    "kind": CODE_MAX,
    "purpose": CODE_MAX,
    "unit": CODE_MAX,
    "custodian": NAME_MAX,
    "assignee": NAME_MAX,
    "recurrence": NAME_MAX,
    "reason": NOTE_MAX,
    "note": NOTE_MAX,
    "comment": NOTE_MAX,
}
FORM_FIELD_DEFAULT_MAX = NOTE_MAX
FORM_INT_FIELDS = frozenset({"version", "box", "number", "tier"})
REQUEST_MAX_BYTES = PHOTO_MAX_BYTES * 4 // 3 + 1024 * 1024  # a base64 photo in JSON and the rest of the form


def form_problem(items: list[tuple[str, Any]]) -> str | None:
    """What is wrong with a form's text fields (too long, not a whole number in range, NUL), or None."""
    for name, value in items:
        if not isinstance(value, str):
            continue  # an uploaded file: checked where it is used
        limit = FORM_FIELD_MAX.get(name, FORM_FIELD_DEFAULT_MAX)
        if len(value) > limit:
            return f"{name}: at most {limit} characters"
        if "\x00" in value:
            return f"{name}: may not contain NUL characters"
        v = value.strip()
        # Only a whole number the database cannot hold is refused here; any other text is the form's own to judge
        # (it re-shows itself with the input kept), or FastAPI's int parsing refuses it with a 4xx.
        digits = v.lstrip("+-")
        if name in FORM_INT_FIELDS and digits.isascii() and digits.isdigit() and not 0 <= int(v) <= INT_MAX:
            return f"{name}: a whole number from 0 to {INT_MAX}"
    return None
