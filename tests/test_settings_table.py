"""scripts/settings_table.py: docs/configuration.md is generated from the Settings model's field descriptions."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel

from kho.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" / "settings_table.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _leaves(model: type[BaseModel], prefix: str = "KHO_") -> set[str]:
    out: set[str] = set()
    for name, info in model.model_fields.items():
        default = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
        if isinstance(default, BaseModel):
            out |= _leaves(type(default), f"{prefix}{name.upper()}__")
        else:
            out.add(f"{prefix}{name.upper()}")
    return out


def test_every_setting_has_one_row_with_a_working_env_var() -> None:
    st = _script()
    rows = list(st.rows(Settings))
    envs = [r[0] for r in rows]
    assert len(envs) == len(set(envs)) and set(envs) == _leaves(Settings)
    row = {r[0]: r for r in rows}
    assert row["KHO_MQTT__PORT"][1] == "`1883`"
    assert "SecretStr" in row["KHO_INFLUX__TOKEN"][2] and "Token" in row["KHO_INFLUX__TOKEN"][3]
    assert row["KHO_WEB__SECRET_KEY"][1] == "(secret, empty)", "secret defaults are never printed"
    # The names in the table are the ones pydantic-settings really reads.
    old = os.environ.get("KHO_COLLECTOR__BATCH_MAX_LINES")
    os.environ["KHO_COLLECTOR__BATCH_MAX_LINES"] = "1234"
    try:
        assert load_settings().collector.batch_max_lines == 1234
    finally:
        if old is None:
            del os.environ["KHO_COLLECTOR__BATCH_MAX_LINES"]
        else:
            os.environ["KHO_COLLECTOR__BATCH_MAX_LINES"] = old
    assert "KHO_COLLECTOR__BATCH_MAX_LINES" in envs


def test_write_replaces_only_the_marked_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# title\n<!-- settings-table:start -->\nold\n<!-- settings-table:end -->\ntail\n")
    script = str(ROOT / "scripts" / "settings_table.py")
    check = subprocess.run([sys.executable, script, "--check", "--readme", str(readme)], capture_output=True, text=True)
    assert check.returncode == 1 and "out of date" in check.stdout
    subprocess.run([sys.executable, script, "--write", "--readme", str(readme)], check=True)
    text = readme.read_text()
    assert text.startswith("# title\n") and text.endswith("<!-- settings-table:end -->\ntail\n")
    assert "| `KHO_STATE_DIR` |" in text and "\nold\n" not in text
    assert subprocess.run([sys.executable, script, "--check", "--readme", str(readme)]).returncode == 0


def test_every_setting_documents_itself_and_the_page_is_current() -> None:
    st = _script()
    undocumented = [env for env, _, _, desc in st.rows(Settings) if not desc.strip()]
    assert undocumented == [], f"add description= to these settings fields: {undocumented}"
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page == st.page(), "docs/configuration.md is out of date: run scripts/settings_table.py --write"
    assert '| `KHO_MQTT__PROTOCOL` | `3.1.1` | "3.1.1" or "5" |' in page
    assert "&lt;state_dir&gt;/secret_key" in page, "angle brackets are escaped, not taken for HTML"
    assert "## `[alerts.smtp]` — `KHO_ALERTS__SMTP__*`" in page
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "settings_table.py"), "--check"])
    assert check.returncode == 0
