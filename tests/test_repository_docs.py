"""The repository stands on its own: no file points outside it, links between its docs resolve, the README is short."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Written in pieces so that this file does not match itself.
OUTSIDE = re.compile(
    "|".join(["DESIGN" + r"\.md", "DESIGN" + r" ?§", "/" + "work/", r"\.\./" + "shared", "ARCHIVAL" + "-RULES"])
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


# Generated or installed, not the project's own text (hidden directories are skipped too, except .ci).
NOT_SOURCE = {"node_modules", "__pycache__", "test-artifacts", "build", "dist", "venv"}


def _text_files() -> list[Path]:
    """Every text file of the project, found without running git so that this test stays in the fast tier."""
    out = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [
            d
            for d in dirs
            if (not d.startswith(".") or d == ".ci") and d not in NOT_SOURCE and not d.endswith(".egg-info")
        ]
        for name in files:
            if name == ".git":  # a worktree's pointer to its repository
                continue
            p = Path(folder) / name
            data = p.read_bytes()
            if b"\0" not in data[:8192]:
                out.append(p)
    return out


def test_no_file_points_outside_the_repository() -> None:
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _text_files()
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert hits == [], "write what the reader needs in docs/design.md instead:\n" + "\n".join(hits)


def test_links_between_the_docs_resolve() -> None:
    docs = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{doc.relative_to(ROOT)} → {target}"
        for doc in docs
        for target in LINK.findall(doc.read_text(encoding="utf-8"))
        if "://" not in target and not (doc.parent / target).exists()
    ]
    assert broken == []


def test_readme_is_a_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 12_000, "details belong in docs/"
    assert "make demo" in readme and "make test" in readme
    assert "<!-- settings-table:start -->" not in readme, "the settings table lives in docs/configuration.md"
    for doc in ("docs/design.md", "docs/configuration.md", "docs/benchmarks.md", "CONTRIBUTING.md"):
        assert f"]({doc})" in readme, f"README links {doc}"
