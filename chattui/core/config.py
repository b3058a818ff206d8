"""Settings: a frozen dataclass read from ``config.toml``, the environment and the command line.

Precedence: command line > environment > config file > defaults. A bad value never stops the
app: it is reported with the file, the key and the fix, the default is used for that key only,
and the file is left as it is (see :func:`load_settings`). Every problem is a
:class:`~chattui.core.problems.Problem` (codes ``config.*``), worded by the front end.

The :class:`Settings` model and the check of each value live in :mod:`chattui.core.settings`
(re-exported here); this module adds the sources: the file, the environment, the command line.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chattui.core.atomic import atomic_write
from chattui.core.problems import Problem
from chattui.core.settings import (
    LOG_LEVELS,
    PROXY_SCHEMES,
    REASONING_EFFORTS,
    ConfigError,
    Settings,
    source_values,
    validate_value,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "LOG_LEVELS",
    "PROXY_SCHEMES",
    "REASONING_EFFORTS",
    "ConfigError",
    "LoadedSettings",
    "Settings",
    "load_settings",
    "mask_proxy",
    "save_settings",
    "validate_value",
]


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus what went wrong loading them."""

    settings: Settings
    warnings: tuple[Problem, ...] = ()
    file_ok: bool = True
    """False when the file could not be used as a whole (not TOML, unreadable)."""


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_DEFAULTS = Settings()


_NUMBERS = ("max_tokens", "temperature", "timeout", "context_window")
"""Settings that are numbers: a file must write them without quotes (strings are accepted only
from the environment and the settings screen, where every value is text)."""


def _apply(
    values: dict[str, Any],
    raw: Mapping[str, object],
    source: str,
    warnings: list[Problem],
    typed: bool = False,
) -> None:
    """Validate ``raw`` into ``values``; ``typed``: the source has types (TOML), so a number
    written as a string is a mistake, reported like any bad value."""
    for key, value in raw.items():
        if key == "profiles":
            from chattui.core.profiles import parse_profiles

            values[key], problems = parse_profiles(value, source)
            warnings.extend(problems)
            continue
        try:
            checked = validate_value(key, value, source)
            if typed and key in _NUMBERS and isinstance(value, str):
                given = {"key": key, "value": repr(value), "number": str(checked)}
                raise ConfigError(Problem("config.not_number", {**given, **source_values(source)}))
            values[key] = checked
        except ConfigError as error:
            warnings.append(error.problem)


def _environment(environ: Mapping[str, str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    if environ.get("OPENAI_BASE_URL"):
        raw["base_url"] = environ["OPENAI_BASE_URL"]
    for key in _FIELDS:
        name = f"CHATTUI_{key.upper()}"
        if key not in ("models", "profiles", "keys") and name in environ:
            raw[key] = environ[name]
    return raw


def read_config_file(path: Path) -> tuple[dict[str, Any], Problem | None]:
    """Parse ``path``: (table, None), or ({}, the problem). A missing file is empty."""
    table, _text, problem = _read_file(path)
    return table, problem


def _read_file(path: Path) -> tuple[dict[str, Any], str | None, Problem | None]:
    """The table and the text of ``path`` (text ``None``: no file, or a problem)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, None, None
    except OSError as error:
        reason = str(error.strerror or error)
        return {}, None, Problem("config.unreadable", {"file": str(path), "error": reason})
    try:
        text = data.decode("utf-8")
        return tomllib.loads(text), text, None
    except UnicodeDecodeError:
        return {}, None, Problem("config.not_utf8", {"file": str(path)})
    except tomllib.TOMLDecodeError as error:
        return {}, None, Problem("config.not_toml", {"file": str(path), "error": str(error)})


def load_settings(
    path: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> LoadedSettings:
    """Settings from defaults, ``path``, the environment and ``overrides`` (the command line).

    Never raises for bad input: each problem becomes a warning, and the key keeps its
    lower-precedence value.
    """
    env = os.environ if environ is None else environ
    warnings: list[Problem] = []
    values: dict[str, Any] = {}
    table, problem = read_config_file(path)
    if problem:
        warnings.append(problem)
    _apply(values, table, str(path), warnings, typed=True)
    _apply(values, _environment(env), "environment", warnings)
    if overrides:
        _apply(values, overrides, "command line", warnings)
    return LoadedSettings(Settings(**values), tuple(warnings), file_ok=problem is None)


def _plain(value: Any) -> Any:
    """``value`` with every mapping turned into a dict (what tomlkit takes)."""
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, Mapping) else value


def _new_item(value: Any) -> Any:
    """A value to add to the file: a mapping becomes a table followed by a blank line, so the
    table after it stays apart (scalars are left to tomlkit)."""
    import tomlkit

    if not isinstance(value, Mapping):
        return value
    table = tomlkit.table()
    scalars = {k: v for k, v in value.items() if not isinstance(v, Mapping)}
    for key, item in scalars.items():
        table[key] = item
    for key, item in value.items():
        if key not in scalars:
            table[key] = _plain(item)
    table.add(tomlkit.nl())
    return table


def _merge(table: Any, key: str, new: Mapping[str, Any], old: Mapping[str, Any]) -> None:
    """Make ``table[key]`` say ``new`` where it said ``old`` (both as checked), editing only
    the entries that changed: an entry the check did not take (not in ``old``) is left."""
    current = table.get(key)
    if not isinstance(current, MutableMapping):
        table[key] = _new_item(new)
        return
    for name in [name for name in current if name in old and name not in new]:
        del current[name]
    for name, value in new.items():
        before = old.get(name)
        if value == before:
            continue
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            _merge(current, name, value, before)
        elif name in current:
            current[name] = _plain(value)
        else:
            current[name] = _new_item(value)


def _edit(text: str, settings: Settings, old: Settings) -> str:
    """``text`` (config.toml) saying ``settings`` where it said ``old``: only the values that
    changed are edited, so comments, order and formatting stay. A value set back to None (or
    an emptied table) is removed; a new one is added after the values already there."""
    import tomlkit  # only to write: not imported at start-up

    document = tomlkit.parse(text)
    for key in _FIELDS:
        value, before = getattr(settings, key), getattr(old, key)
        if value == before:
            continue
        if value is None or (isinstance(value, Mapping) and not value):
            document.pop(key, None)
        elif isinstance(value, Mapping):
            _merge(document, key, value, before)
        else:
            if isinstance(value, str) and "\n" in value:  # a system prompt: readable lines
                value = tomlkit.string(value, multiline=True)
            if key in document:
                document[key] = value
            else:
                _add_value(document, key, value)
    return document.as_string()


def _add_value(document: Any, key: str, value: object) -> None:
    """Add a top-level value right after the last one, before the comments and tables that
    follow it (tomlkit alone would add it after those comments, just above the first table).
    """
    from tomlkit.items import AoT, Table

    body = document.body
    last = None
    for index, (name, item) in enumerate(body):
        if isinstance(item, (Table, AoT)) and name is not None and not name.is_dotted():
            break
        if name is not None:
            last = index
    if last is None or last + 1 >= len(body):
        document[key] = value
    else:
        document._insert_at(last + 1, key, value)  # tomlkit has no public insert


def save_settings(settings: Settings, path: Path) -> Path | None:
    """Write ``settings`` to ``path`` atomically (mode 0600: a proxy URL may hold a password).

    The file is edited in place: only the values that differ from what it says are changed,
    so its comments, order and formatting stay. A file that could not be parsed is kept: it
    is first renamed to ``<name>.bad-<time>``, and that path is returned so the caller can
    tell the user.
    """
    import tomlkit.exceptions

    table, text, problem = _read_file(path)
    if text is not None:
        try:
            values: dict[str, Any] = {}
            _apply(values, table, str(path), [], typed=True)
            edited = _edit(text, settings, Settings(**values))
        except tomlkit.exceptions.TOMLKitError:  # what tomllib took but tomlkit did not
            problem, text = Problem("config.not_toml", {"file": str(path), "error": ""}), None
    kept: Path | None = None
    if problem is not None and path.exists():
        kept = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, kept)
    if text is None:
        edited = _edit("", settings, _DEFAULTS)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(path, edited.encode("utf-8"), mode=0o600)
    return kept


def mask_proxy(url: str) -> str:
    """The proxy URL with its password (if any) replaced by ``***``, for display."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{user}:***@{host}{port}").geturl()
