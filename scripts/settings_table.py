"""Write (or check) docs/configuration.md: every kho setting with its env var, default, type and description.

Generated from ``kho.settings.Settings``: the description is each field's own ``description=``, so the page
cannot drift from the code:

    .venv/bin/python scripts/settings_table.py            # print the page
    .venv/bin/python scripts/settings_table.py --write    # write docs/configuration.md
    .venv/bin/python scripts/settings_table.py --check    # exit 1 when docs/configuration.md is out of date
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kho.settings import Settings  # noqa: E402

PAGE = ROOT / "docs" / "configuration.md"
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"
HEADER = """# Configuration

One settings object (`kho/settings.py`, pydantic-settings) composes every package's section. Each field can be
set by an environment variable `KHO_<SECTION>__<FIELD>` (nested sections joined by `__`) or in a TOML file given
with `kho --config FILE` or `KHO_CONFIG`, one table per section:

```toml
[mqtt]
port = 1884

[alerts.smtp]
host = "mail.example.org"
```

Explicit environment variables win over the file. Secrets are `SecretStr`: never logged, never printed here.
Lists (such as `KHO_COLLECTOR__TOPICS`) are given as JSON in an environment variable.

The tables below are generated from each field's `description=` by `scripts/settings_table.py --write`; run it
after adding or changing a field (`make check` fails while this page is out of date).

"""


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
    if get_origin(annotation) is Literal:
        return " or ".join(json.dumps(a) for a in get_args(annotation))
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("pydantic.types.", "").replace("NoneType", "None")


def _cell(text: str) -> str:
    """``text`` safe in a Markdown table cell (``<dir>`` would otherwise be taken for an HTML tag)."""
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def sections(model: type[BaseModel], prefix: str = "KHO_", title: str = "") -> Iterator[tuple[str, str, type]]:
    """(env prefix, TOML table, model) of ``model`` and of every nested section, in declaration order."""
    yield prefix, title, model
    for name, info in model.model_fields.items():
        default = _default(info)
        if isinstance(default, BaseModel):
            yield from sections(type(default), f"{prefix}{name.upper()}__", f"{title}.{name}" if title else name)


def own_rows(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str, str, str]]:
    """(env var, default, type, description) of the fields of ``model`` that are not sections themselves."""
    for name, info in model.model_fields.items():
        default = _default(info)
        if not isinstance(default, BaseModel):
            yield (
                f"{prefix}{name.upper()}",
                _show(default),
                _cell(_type_name(info.annotation)),
                _cell(info.description or ""),
            )


def rows(model: type[BaseModel], prefix: str = "KHO_") -> Iterator[tuple[str, str, str, str]]:
    """Every leaf field of ``model``, section by section."""
    for section_prefix, _, section in sections(model, prefix):
        yield from own_rows(section, section_prefix)


def table() -> str:
    """The generated part of the page: one heading and table per section."""
    out: list[str] = []
    for prefix, title, model in sections(Settings):
        leaves = list(own_rows(model, prefix))
        if not leaves:
            continue
        out.append(f"## `[{title}]` — `{prefix}*`\n" if title else "## Top level — `KHO_*`\n")
        doc = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        if title and doc:
            out.append(f"{doc}\n")
        out += ["| env var | default | type | description |", "|---|---|---|---|"]
        out += [f"| `{env}` | {default} | {typ} | {desc} |" for env, default, typ, desc in leaves]
        out.append("")
    return "\n".join(out)


def page() -> str:
    """The whole of docs/configuration.md."""
    return f"{HEADER}{START}\n{table()}{END}\n"


def replace_in(text: str, new_table: str) -> str:
    """``text`` with the part between the markers replaced by ``new_table``."""
    if START not in text or END not in text:
        raise SystemExit(f"markers {START} / {END} not found")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new_table}{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser(description="kho settings as a Markdown page")
    ap.add_argument("--write", action="store_true", help="write the page")
    ap.add_argument("--check", action="store_true", help="exit 1 when the page is out of date")
    ap.add_argument("--page", "--readme", type=Path, default=PAGE, help="the page (default docs/configuration.md)")
    args = ap.parse_args()
    if not (args.write or args.check):
        print(page(), end="")
        return 0
    old = args.page.read_text() if args.page.exists() else ""
    new = replace_in(old, table()) if START in old and END in old else page()
    if args.check:
        if new != old:
            print(f"{args.page} is out of date: run scripts/settings_table.py --write")
            return 1
        return 0
    args.page.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
