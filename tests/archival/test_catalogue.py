"""The archival texts are part of the one catalogue: every key the archival templates and pages use is in
``inventory.i18n.TEXTS`` as soon as that module alone is imported, and no module adds texts to it at import time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("inventory", "collector", "alerts", "dashboards", "firmware_configs", "kho")
_WRITES = re.compile(r"\bTEXTS\s*(\.\s*(update|setdefault|__setitem__)\s*\(|\[[^\]]+\]\s*=[^=]|\|=)")


def _archival_keys() -> set[str]:
    used: set[str] = set()
    for tpl in (ROOT / "inventory" / "templates" / "archival").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'[,)]", tpl.read_text()))
    for py in (ROOT / "inventory" / "archival").glob("*.py"):
        src = py.read_text()
        used |= set(re.findall(r'\bkey="([a-z0-9_.]+)"', src))
        used |= set(re.findall(r'\b(?:flash|t)\((?:request|lang|lang_of\(request\)), "([a-z0-9_.]+)"', src))
    return used


def test_texts_enter_the_catalogue_in_one_place() -> None:
    writers = [
        str(py.relative_to(ROOT))
        for pkg in PACKAGES
        for py in (ROOT / pkg).rglob("*.py")
        if py != ROOT / "inventory" / "i18n.py" and _WRITES.search(py.read_text())
    ]
    assert writers == []
    assert not (ROOT / "inventory" / "archival" / "texts.py").exists()


def test_archival_keys_exist_with_only_the_catalogue_imported() -> None:
    used = _archival_keys()
    assert {"ar_title", "ar_rt_title", "ar_rt_refused", "ar_doc_type", "ar_rt_imported", "ar_doc_choose"} <= used
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from inventory import i18n; "
            "print(json.dumps([sorted(i18n.TEXTS), sorted(m for m in sys.modules if m.startswith('inventory.'))]))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    keys, modules = json.loads(out.stdout)
    assert not [m for m in modules if m.startswith("inventory.archival")]  # nothing archival was loaded
    assert sorted(used - set(keys)) == []
    assert {"st_destroyed", "e_destroyed"} <= set(keys)  # the box status and event the registry shows
