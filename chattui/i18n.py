"""One translation function for every UI string.

Usage: ``from chattui.i18n import _`` then ``_("New conversation")`` or
``_("{count} earlier messages not sent", count=3)``. Unknown strings fall back to English, so
a missing translation never hides text. Catalogs are plain dicts keyed by the English string.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "_", "get_language", "set_language"]

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
"""Language code -> its own name, as shown in the settings screen."""

_current = "en"
_catalog: dict[str, str] = {}


def set_language(code: str) -> None:
    """Switch the UI language; unknown codes fall back to English."""
    global _current, _catalog
    if code == "zh":
        from chattui.locales.zh import CATALOG

        _current, _catalog = "zh", CATALOG
    else:
        _current, _catalog = "en", {}


def get_language() -> str:
    """The code of the language in use."""
    return _current


def _(text: str, /, **values: object) -> str:
    """Translate ``text`` into the current language and fill in ``{named}`` values."""
    translated = _catalog.get(text, text)
    return translated.format(**values) if values else translated
