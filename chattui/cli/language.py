"""The command line's language, set before anything is parsed or said: ``--lang``, else
``language`` from ``CHATTUI_LANGUAGE`` or config.toml, else the locale's. argparse's own words
(its usage line, its errors, its help headings) go through the same catalog."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence

from chattui.i18n import _, get_language, set_language

__all__ = ["set_cli_language"]


def _given(argv: Sequence[str]) -> str:
    """``--lang``'s value if the command line has one (before argparse reads it)."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return "auto"


def set_cli_language(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str:
    """Set the language the command line speaks; return it (``en`` or ``zh``)."""
    from chattui.core.settings import resolve_language

    env = os.environ if environ is None else environ
    given = _given(argv)
    if given not in ("en", "zh"):
        from chattui.core.config import load_settings
        from chattui.core.paths import Paths

        given = load_settings(Paths.discover(env).config_file, env).settings.language
    set_language(resolve_language(given, env))
    _translate_argparse()
    return get_language()


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _(singular if count == 1 else plural)


def _translate_argparse() -> None:
    """argparse looks its words up through ``gettext`` when it uses them: let it find ours
    (the Chinese catalog holds argparse's strings, marked as such)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
