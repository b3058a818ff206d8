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
from collections.abc import Mapping
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
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, None
    except OSError as error:
        reason = str(error.strerror or error)
        return {}, Problem("config.unreadable", {"file": str(path), "error": reason})
    try:
        return tomllib.loads(data.decode("utf-8")), None
    except UnicodeDecodeError:
        return {}, Problem("config.not_utf8", {"file": str(path)})
    except tomllib.TOMLDecodeError as error:
        return {}, Problem("config.not_toml", {"file": str(path), "error": str(error)})


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
    """``value`` with every mapping turned into a dict (what tomli_w writes)."""
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, Mapping) else value


def _file_table(settings: Settings) -> dict[str, Any]:
    """The TOML table for ``settings``: keys that differ from the defaults (None is omitted)."""
    table: dict[str, Any] = {}
    for key in _FIELDS:
        value = getattr(settings, key)
        if value != getattr(_DEFAULTS, key) and value is not None:
            table[key] = (
                {k: dict(v) for k, v in value.items()} if isinstance(value, Mapping) else value
            )
    return table


def save_settings(settings: Settings, path: Path) -> Path | None:
    """Write ``settings`` to ``path`` atomically (mode 0600: a proxy URL may hold a password).

    A file that could not be parsed is kept: it is first renamed to ``<name>.bad-<time>``,
    and that path is returned so the caller can tell the user.
    """
    kept: Path | None = None
    if path.exists() and read_config_file(path)[1] is not None:
        kept = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, kept)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    import tomli_w  # only to write: not imported at start-up

    atomic_write(path, tomli_w.dumps(_file_table(settings)).encode("utf-8"), mode=0o600)
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
