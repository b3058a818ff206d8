"""Themes as data: TOML files parsed into plain specs (the UI turns them into Textual themes).

Bundled themes ship inside the package (``chattui/_themes`` in a wheel, ``themes/`` in a
source checkout); user themes live in the themes dir and may override bundled ones by name.
Loading never raises: failures are returned as problems (``theme.*``) for the UI to word and
report once.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chattui.core.problems import InvalidValue, Problem, Value, file_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["COLOR_KEYS", "ThemeSpec", "bundled_themes_dir", "load_themes"]

COLOR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)


@dataclass(frozen=True)
class ThemeSpec:
    """A theme's name, darkness, colours and extra CSS variables."""

    name: str
    dark: bool
    colors: Mapping[str, str]
    variables: Mapping[str, str] = field(default_factory=dict)
    code_theme: str = ""
    """Pygments style for code blocks; empty picks one by darkness."""
    ansi: bool = False
    """Colours are the terminal's own ANSI colours (``ansi_blue``, ``ansi_default``...)."""
    path: Path | None = None
    """The file it came from."""


_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_ANSI = re.compile(
    r"^ansi_(?:default|(?:bright_)?(?:black|red|green|yellow|blue|magenta|cyan|white))$"
)


def _bad(path: Path, code: str, **values: Value) -> InvalidValue:
    return InvalidValue(Problem(f"theme.{code}", {"path": str(path), **values}))


def _check_color(path: Path, key: str, value: object, ansi: bool) -> str:
    if isinstance(value, str) and (_HEX.match(value) or (ansi and _ANSI.match(value))):
        return value
    raise _bad(path, "color.ansi" if ansi else "color", key=key, value=repr(value))


def bundled_themes_dir() -> Path:
    """Where the themes shipped with chattui are."""
    package = Path(__file__).resolve().parent.parent
    wheel = package / "_themes"
    return wheel if wheel.is_dir() else package.parent / "themes"


def _parse(path: Path) -> ThemeSpec:
    data = tomllib.loads(path.read_text("utf-8"))
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise _bad(path, "name")
    dark = data.get("dark", True)
    ansi = data.get("ansi", False)
    if not isinstance(dark, bool) or not isinstance(ansi, bool):
        raise _bad(path, "flags")
    known = {"name", "dark", "ansi", "code_theme", "variables", *COLOR_KEYS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _bad(path, "unknown_key", key=repr(unknown[0]), known=", ".join(sorted(known)))
    colors: dict[str, str] = {}
    for key in COLOR_KEYS:
        value = data.get(key)
        if value is not None:
            colors[key] = _check_color(path, key, value, ansi)
    if "primary" not in colors:
        raise _bad(path, "no_primary")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise _bad(path, "variables")
    code_theme = data.get("code_theme", "")
    if not isinstance(code_theme, str):
        raise _bad(path, "code_theme")
    return ThemeSpec(name.strip(), dark, colors, dict(variables), code_theme.strip(), ansi, path)


def load_themes(directories: Iterable[Path]) -> tuple[list[ThemeSpec], list[Problem]]:
    """Parse every ``*.toml`` in ``directories`` (later ones override earlier by name).

    Returns:
        The themes, and one problem per file that failed.
    """
    themes: dict[str, ThemeSpec] = {}
    failures: list[Problem] = []
    for directory in directories:
        try:
            paths = sorted(directory.glob("*.toml"))
        except OSError:
            continue
        for path in paths:
            try:
                spec = _parse(path)
            except InvalidValue as error:
                failures.append(error.problem)
                continue
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as error:
                failures.append(file_problem("theme", path, error))
                continue
            themes[spec.name] = spec
    return list(themes.values()), failures
