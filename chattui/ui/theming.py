"""Themes in the app: theme files registered as Textual themes, and the live-preview picker.

A theme file's ``code_theme`` (a Pygments style, or Rich's ``ansi_dark`` / ``ansi_light`` for the
terminal's own colours) travels in the Textual theme's variables as
:data:`~chattui.ui.render.palette.CODE_THEME_VARIABLE`,
where the chat log's palette reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.theme import Theme

from chattui.core.problems import Problem
from chattui.core.themes import ThemeSpec, bundled_themes_dir, load_themes
from chattui.i18n import _
from chattui.ui.render.palette import CODE_THEME_VARIABLE

__all__ = ["pick_theme", "register_themes"]

_RICH_ANSI_THEMES = ("ansi_dark", "ansi_light")


def _known_code_theme(name: str) -> bool:
    if name in _RICH_ANSI_THEMES:
        return True
    from pygments.styles import STYLE_MAP, get_style_by_name
    from pygments.util import ClassNotFound

    if name in STYLE_MAP:  # a built-in style: known without importing its module (start-up)
        return True
    try:
        get_style_by_name(name)
    except ClassNotFound:
        return False
    return True


def _to_theme(spec: ThemeSpec) -> Theme:
    colors = spec.colors
    variables = dict(spec.variables)
    if spec.code_theme:
        variables[CODE_THEME_VARIABLE] = spec.code_theme
    return Theme(
        name=spec.name,
        dark=spec.dark,
        ansi=spec.ansi,
        variables=variables,
        primary=colors["primary"],
        secondary=colors.get("secondary"),
        accent=colors.get("accent"),
        foreground=colors.get("foreground"),
        background=colors.get("background"),
        surface=colors.get("surface"),
        panel=colors.get("panel"),
        boost=colors.get("boost"),
        warning=colors.get("warning"),
        error=colors.get("error"),
        success=colors.get("success"),
    )


def register_themes(app: App[Any], user_dir: Path) -> list[Problem]:
    """Register the bundled themes and the user's (a user file overrides a bundled theme of
    the same name); return one problem per file that was skipped or partly used.

    The bundled themes are not checked here (a test does): checking their code themes imports
    Pygments and generating their colours costs a few milliseconds each, before the first frame.
    """
    bundled = bundled_themes_dir()
    specs, failures = load_themes([bundled, user_dir])
    for spec in specs:
        path = str(spec.path or spec.name)
        trusted = spec.path is not None and spec.path.parent == bundled
        if trusted:
            app.register_theme(_to_theme(spec))
            continue
        if spec.code_theme and not _known_code_theme(spec.code_theme):
            values = {"path": path, "name": repr(spec.code_theme)}
            failures.append(Problem("theme.unknown_code_theme", values))
            spec = ThemeSpec(spec.name, spec.dark, spec.colors, spec.variables, "", spec.ansi)
        try:
            theme = _to_theme(spec)
            theme.to_color_system().generate()  # a colour Textual cannot use fails here, not later
        except Exception as error:  # a bad colour must not stop the app
            failures.append(Problem("theme.file", {"path": path, "error": str(error)}))
            continue
        app.register_theme(theme)
    return failures


def pick_theme(app: App[Any], save: Callable[[str], None]) -> None:
    """Open the theme picker: moving the highlight applies each theme at once, Enter keeps it
    (``save`` persists it), Esc goes back to the theme in use before."""
    from chattui.ui.screens.picker import PickerScreen

    original = app.theme
    themes = sorted(app.available_themes.values(), key=lambda theme: theme.name)
    choices = [
        (f"{theme.name}  ({_('dark') if theme.dark else _('light')})", theme.name)
        for theme in themes
    ]

    def preview(name: str) -> None:
        if name in app.available_themes:
            app.theme = name

    def chosen(name: str | None) -> None:
        if name is None:
            app.theme = original
        else:
            save(name)

    app.push_screen(
        PickerScreen(
            _("Theme"),
            choices,
            original,
            hint=_("Your own themes: TOML files in the themes folder (chattui --paths)."),
            preview=preview,
        ),
        chosen,
    )
