"""Length and range limits of user input, shared by pages, the JSON API and the CLI.

Every text a user can send has a maximum length, every number a range: a value outside them is a clear 4xx with a
message, never a 500 from the database or the ORM.
"""

from __future__ import annotations

CODE_MAX = 64  # box, slot, shelf, room, fonds and device codes
NAME_MAX = 200  # names of people, rooms, fonds; titles of a line
TITLE_MAX = 1000  # file titles
NOTE_MAX = 2000  # notes, comments, damage descriptions
SEARCH_MAX = 200  # a search query
PASSWORD_MAX = 256
INT_MAX = 2**31 - 1  # ids and counts fit a 32-bit SQL integer on every backend
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
