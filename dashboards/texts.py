"""Dashboard wording in Vietnamese (default) and English: the ``dash.*`` texts of the one catalogue
(``inventory.i18n``)."""

from __future__ import annotations

from inventory import i18n

LANGS = i18n.LANGUAGES


def tr(key: str, lang: str) -> str:
    """The text for ``key`` in ``lang`` (``vi`` or ``en``)."""
    full = f"dash.{key}"
    if full not in i18n.TEXTS:
        raise KeyError(key)
    return i18n.t(lang, full)
