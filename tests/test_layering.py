"""Imports go down the layers only (docs/design.md, *Layering*): read from the source, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lower number = lower layer; a package may import only packages of a lower layer (and itself).
LAYERS = {"inventory": 1, "collector": 2, "alerts": 3, "dashboards": 4, "firmware_configs": 4, "kho": 5}


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import in ``path``: module level, in functions, ``import_module("…")``."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                out.append((node.lineno, node.args[0].value))
    return out


@pytest.mark.parametrize("package", list(LAYERS))
def test_no_upward_or_sideways_import(package: str) -> None:
    bad = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in _imports(path)
        if (top := module.split(".")[0]) in LAYERS and top != package and LAYERS[top] >= LAYERS[package]
    ]
    assert bad == [], f"{package} (layer {LAYERS[package]}) may import only lower layers:\n" + "\n".join(bad)


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "def f():\n    from collector import profiles\n    import_module('collector.profiles')\n", encoding="utf-8"
    )
    assert [m for _, m in _imports(src)] == ["collector", "collector.profiles"]
