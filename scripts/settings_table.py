"""Print (or write into README.md) the table of every kho setting: env var, default, type, note.

Generated from ``kho.settings.Settings`` so the README cannot drift from the code:

    .venv/bin/python scripts/settings_table.py            # print the Markdown table
    .venv/bin/python scripts/settings_table.py --write    # replace the table between the markers in README.md
    .venv/bin/python scripts/settings_table.py --check    # exit 1 when README.md is out of date
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kho.settings import Settings  # noqa: E402

# The root fields are declared in kho/settings.py without comments: say here what they are for.
ROOT_NOTES = {
    "state_dir": "demo servers' data, SQLite registry (default), collector spool and dead letters, secret key",
    "log_level": "Python logging level of the kho processes",
}
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def field_comments(cls: type) -> dict[str, str]:
    """The ``# comment`` lines right above each field in the class body (the code's own explanation)."""
    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    pending: list[str] = []
    for line in lines:
        s = line.strip()
        if s.startswith("#"):
            pending.append(s.lstrip("#").strip())
            continue
        m = re.match(r"^(\w+)\s*:", s)
        if m and pending:
            out[m.group(1)] = " ".join(pending)
        pending = []
    return out


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


def _show(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(secret, empty)" if not value.get_secret_value() else "(secret)"
    if value is None:
        return "(none)"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, (list, dict)):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{value!r}`"


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("pydantic.types.", "").replace("NoneType", "None")


def rows(model: type[BaseModel], prefix: str = "KHO_") -> Iterator[tuple[str, str, str, str]]:
    """(env var, default, type, note) for every leaf field, depth first, nested sections joined by ``__``."""
    comments = field_comments(model)
    for name, info in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        default = _default(info)
        if isinstance(default, BaseModel):
            yield from rows(type(default), env + "__")
            continue
        note = info.description or comments.get(name, "") or (ROOT_NOTES.get(name, "") if prefix == "KHO_" else "")
        if not note and prefix != "KHO_" and model.__doc__ and name == next(iter(model.model_fields)):
            note = inspect.cleandoc(model.__doc__).splitlines()[0]
        yield env, _show(default), _type_name(info.annotation).replace("|", "\\|"), note.replace("|", "\\|")


def table() -> str:
    """The whole Markdown table."""
    out = ["| env var | default | type | note |", "|---|---|---|---|"]
    out += [f"| `{env}` | {default} | {typ} | {note} |" for env, default, typ, note in rows(Settings)]
    return "\n".join(out) + "\n"


def replace_in(text: str, new_table: str) -> str:
    """``text`` with the part between the markers replaced by ``new_table``."""
    if START not in text or END not in text:
        raise SystemExit(f"markers {START} / {END} not found")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser(description="kho settings as a Markdown table")
    ap.add_argument("--write", action="store_true", help="update the table in README.md")
    ap.add_argument("--check", action="store_true", help="exit 1 when README.md's table is out of date")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = ap.parse_args()
    t = table()
    if not (args.write or args.check):
        print(t, end="")
        return 0
    text = args.readme.read_text()
    new = replace_in(text, t)
    if args.check:
        if new != text:
            print(f"{args.readme} settings table is out of date: run scripts/settings_table.py --write")
            return 1
        return 0
    args.readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
