"""One message catalogue of one shape for the web app, the spreadsheet tools, the dashboards and the alert texts:
every text in both languages with the same placeholders, every key the code and templates use present."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts import messages as alert_messages
from dashboards.texts import tr
from inventory import i18n
from inventory.spreadsheet.messages import t as sheet_t
from tests.inventory.conftest import World

ROOT = Path(__file__).resolve().parents[2]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    for key, pair in i18n.TEXTS.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        vi, en = pair
        assert vi.strip() and en.strip(), key
        assert _fields(vi) == _fields(en), key


def test_the_tools_read_the_one_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(i18n.TEXTS, "dash.temperature", ("Nhiệt độ phòng", "Room temperature"))
    monkeypatch.setitem(i18n.TEXTS, "sheet.missing_value", ("thiếu ô", "empty cell"))
    monkeypatch.setitem(i18n.TEXTS, "alert.rule.smoke", ("CÓ KHÓI", "SMOKE!"))
    assert tr("temperature", "vi") == "Nhiệt độ phòng" and tr("temperature", "en") == "Room temperature"
    assert sheet_t("missing_value", "en") == "empty cell" and sheet_t("missing_value", "xx") == "thiếu ô"
    assert (
        alert_messages.rule_title("smoke", "vi") == "CÓ KHÓI" and alert_messages.rule_title("smoke", "en") == "SMOKE!"
    )
    assert sheet_t("not_int", "vi", value="x") == "không phải số nguyên: 'x'"
    with pytest.raises(KeyError):
        tr("no-such-text", "vi")
    subject, body = alert_messages.test_message("Chị Lan", "vi")
    assert subject == "[kho] Tin nhắn thử" and "Xin chào Chị Lan" in body


def test_every_key_used_by_templates_and_services_exists() -> None:
    used: set[str] = set()
    for tpl in (ROOT / "inventory" / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'[,)]", tpl.read_text()))
    for py in (ROOT / "inventory").rglob("*.py"):
        src = py.read_text()
        used |= set(re.findall(r'\bkey="([a-z0-9_.]+)"', src))
        used |= {k for k in re.findall(r'\bflash\(request, "([a-z0-9_.]+)"', src)}
    missing = sorted(k for k in used if k not in i18n.TEXTS)
    assert not missing, missing
    assert len(used) > 100


def test_every_kind_the_pages_show_is_translated() -> None:
    from inventory import services as sv
    from inventory.climate import ClimateClass
    from inventory.models import BoxStatus, CleaningKind, EventKind, Media

    wanted = (
        [f"e_{k.value}" for k in EventKind]
        + [f"st_{s.value}" for s in BoxStatus]
        + [f"d_{d}" for d in sv.DAMAGE_KINDS]
        + [f"cond_{c}" for c in sv.CONDITIONS]
        + [f"p_{p}" for p in sv.CHECKOUT_PURPOSES]
        + [f"c_{k.value}" for k in CleaningKind]
        + [f"m_{m.value}" for m in Media]
        + [f"cc_{c.value}" for c in ClimateClass]
        + [f"what_{k}" for k in sv.PLACEMENT_KINDS]
    )
    assert [k for k in wanted if k not in i18n.TEXTS] == []


def test_the_decoder_is_cached_and_licensed(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory()
    r = c.get("/static/inventory/vendor/jsqr/jsQR.js")
    assert r.status_code == 200 and "jsQR" in r.text[:2000] and r.headers["cache-control"] == "public, max-age=604800"
    lic = c.get("/static/inventory/vendor/jsqr/LICENSE")
    assert lic.status_code == 200 and "Apache License" in lic.text
