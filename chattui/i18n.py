"""One translation function for every UI string.

Usage: ``from chattui.i18n import _`` then ``_("New conversation")`` or
``_("{count} earlier messages not sent", count=3)``. Unknown strings fall back to English, so
a missing translation never hides text. Catalogs are plain dicts keyed by the English string.

A count goes through ``ngettext("{count} message", "{count} messages", n)``: English picks the
singular for 1 and the plural otherwise; Chinese has one form (with its measure word: 条, 个,
行, 张...), the catalog's entry for the English plural.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "_", "get_language", "ngettext", "set_language"]

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


def ngettext(singular: str, plural: str, count: int, /, **values: object) -> str:
    """``count`` of something, in the current language: ``1 message``, ``2 messages``.

    Args:
        singular: The English text for one (``"{count} message"``).
        plural: The English text for any other count; the catalog is keyed by it.
        count: How many; it chooses the form and fills ``{count}`` unless ``values`` has one
            (a number already formatted, ``count=f"{n:,}"``).
        values: Further ``{named}`` values.
    """
    if _current == "en":
        text = singular if count == 1 else plural
    else:  # one form, with the right measure word
        text = _catalog.get(plural, plural)
    return text.format(**{"count": count, **values})
