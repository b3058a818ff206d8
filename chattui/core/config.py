"""Settings: a frozen dataclass read from ``config.toml``, the environment and the command line.

Precedence: command line > environment > config file > defaults. A bad value never stops the
app: it is reported with the file, the key and the fix, the default is used for that key only,
and the file is left as it is (see :func:`load_settings`). Every problem is a
:class:`~chattui.core.problems.Problem` (codes ``config.*``), worded by the front end.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chattui.core.atomic import atomic_write
from chattui.core.keymap import check_keys
from chattui.core.problems import InvalidValue, Problem, ProblemError, Value, as_problem

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

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
REASONING_EFFORTS = ("", "minimal", "low", "medium", "high")
LOG_LEVELS = ("", "debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    """Every user setting. Frozen: change with :func:`dataclasses.replace`."""

    base_url: str = "https://api.openai.com/v1"
    """Root of the OpenAI-compatible API, ending in ``/v1`` for most servers."""
    proxy: str = ""
    """``http://``, ``https://``, ``socks5://`` or ``socks5h://`` proxy URL; empty for none."""
    model: str = "gpt-4o-mini"
    max_tokens: int | None = None
    """Upper bound for a reply; ``None`` lets the model decide."""
    temperature: float | None = None
    """0 to 2; ``None`` uses the server's default."""
    reasoning_effort: str = ""
    """For reasoning models: minimal, low, medium, high; empty for the model's default."""
    system_prompt: str = ""
    """Default system prompt of new conversations."""
    timeout: float = 60.0
    """Seconds to wait for the server to send anything (connect and between chunks)."""
    theme: str = "chattui-dark"
    language: str = "auto"
    """``auto`` (from the locale), ``en`` or ``zh``."""
    api_key_command: str = ""
    """A command whose standard output is the API key (for password managers)."""
    log_level: str = ""
    """Debug log in the cache dir: ``debug``, ``info``, ``warning``, ``error``; empty for none."""
    context_window: int | None = None
    """Window for models the catalog does not know; ``None`` uses a conservative default."""
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """User additions to the model catalog, ``[models."id"]`` tables."""
    auto_title: bool = True
    """After the first reply, ask the model for a short title in the background."""
    title_model: str = ""
    """Model that writes the titles; empty: the conversation's own model."""
    profile: str = ""
    """The default endpoint profile; empty: the top-level endpoint settings above."""
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Named endpoints, ``[profiles.NAME]`` tables (see :mod:`chattui.core.profiles`)."""
    keys: Mapping[str, str] = field(default_factory=dict)
    """``[keys]``: binding id -> keys (see :mod:`chattui.core.keymap`)."""


class ConfigError(ProblemError, ValueError):
    """A setting is invalid.

    Attributes:
        problem: Names the source (file, environment...) if known, the key and the fix;
            ``str()`` is its English wording.
        detail: The value, why it is refused and the fix, without the key (for a form's field
            or a command-line option).
        key: The setting.
    """

    def __init__(self, problem: Problem, detail: Problem | None = None) -> None:
        super().__init__(problem)
        self.key = str(problem.values.get("key", ""))
        self.detail = problem if detail is None else detail


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus what went wrong loading them."""

    settings: Settings
    warnings: tuple[Problem, ...] = ()
    file_ok: bool = True
    """False when the file could not be used as a whole (not TOML, unreadable)."""


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_DEFAULTS = Settings()


def _refuse(reason: str, **values: Value) -> InvalidValue:
    """The error for a refused value: ``reason`` is a ``config.reason.*`` variant."""
    return InvalidValue(Problem(f"config.reason.{reason}", values))


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse("url")
    return value.rstrip("/")


def _check_proxy(value: str) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in PROXY_SCHEMES:
        raise _refuse("proxy_scheme", schemes=", ".join(PROXY_SCHEMES))
    if not parts.hostname:
        raise _refuse("proxy_host")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise _refuse("proxy_port") from None
    return value


def _check_positive_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _refuse("whole_number")
    if isinstance(value, str):
        try:
            value = int(value.strip().replace("_", ""))
        except ValueError:
            raise _refuse("whole_number") from None
    if not isinstance(value, int):
        raise _refuse("whole_number")
    if value <= 0:
        raise _refuse("positive")
    return value


def _check_float(low: float, high: float, optional: bool) -> Callable[[object], float | None]:
    def check(value: object) -> float | None:
        if optional and (value is None or value == ""):
            return None
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise _refuse("number") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse("number")
        if not low <= float(value) <= high:
            raise _refuse("between", low=f"{low:g}", high=f"{high:g}")
        return float(value)

    return check


def _check_str(value: object) -> str:
    if not isinstance(value, str):
        raise _refuse("string")
    return value


def _check_nonempty(value: object) -> str:
    text = _check_str(value).strip()
    if not text:
        raise _refuse("not_empty")
    return text


def _check_choice(choices: tuple[str, ...]) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _check_str(value).strip()
        if text not in choices:
            raise _refuse("one_of", choices=", ".join(repr(c) for c in choices))
        return text

    return check


def _check_bool(value: object) -> bool:
    if isinstance(value, str):  # from the environment
        text = value.strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
    if not isinstance(value, bool):
        raise _refuse("bool")
    return value


def _check_models(value: object) -> Mapping[str, Mapping[str, Any]]:
    if not isinstance(value, Mapping) or not all(
        isinstance(entry, Mapping) for entry in value.values()
    ):
        raise _refuse("models")
    return {str(name): dict(entry) for name, entry in value.items()}


_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "base_url": lambda v: _check_url(_check_nonempty(v)),
    "proxy": lambda v: _check_proxy(_check_str(v).strip()),
    "model": _check_nonempty,
    "max_tokens": _check_positive_int,
    "temperature": _check_float(0.0, 2.0, optional=True),
    "reasoning_effort": _check_choice(REASONING_EFFORTS),
    "system_prompt": _check_str,
    "timeout": _check_float(1.0, 3600.0, optional=False),
    "theme": _check_nonempty,
    "language": _check_choice(("auto", "en", "zh")),
    "api_key_command": lambda v: _check_str(v).strip(),
    "log_level": _check_choice(LOG_LEVELS),
    "context_window": _check_positive_int,
    "models": _check_models,
    "auto_title": _check_bool,
    "title_model": lambda v: _check_str(v).strip(),
    "profile": lambda v: _check_str(v).strip(),
    "profiles": _check_models,  # each table is checked by profiles.parse_profiles
    "keys": check_keys,
}

_FIXES = frozenset(
    {"base_url", "proxy", "max_tokens", "temperature", "timeout", "context_window", "auto_title"}
)
"""Settings with their own fix (``config.fix.<key>``); the others' fix names the default."""

_SOURCES = {
    "environment": Problem("config.source.environment"),
    "command line": Problem("config.source.command_line"),
}


def _source(source: str) -> dict[str, Value]:
    """The ``source`` value of a problem: a file's path, or the words for "environment"."""
    return {"source": _SOURCES.get(source, source)} if source else {}


def _fix(key: str) -> Problem:
    if key in _FIXES:
        return Problem(f"config.fix.{key}")
    return Problem("config.fix.default", {"default": repr(getattr(_DEFAULTS, key))})


def validate_value(key: str, value: object, source: str = "") -> Any:
    """Check and normalise one setting.

    Args:
        key: The setting.
        value: Its value, from TOML or as text.
        source: Where it came from: a file's path, ``environment``, ``command line`` or "".

    Raises:
        ConfigError: unknown key or invalid value; the problem says how to fix it.
    """
    if key not in _VALIDATORS:
        known = ", ".join(sorted(_VALIDATORS))
        raise ConfigError(
            Problem("config.unknown_setting", {"key": key, "known": known, **_source(source)})
        )
    try:
        return _VALIDATORS[key](value)
    except ValueError as error:
        reason = error.problem if isinstance(error, ProblemError) else as_problem(str(error))
        values: dict[str, Value] = {"value": repr(value), "reason": reason, "fix": _fix(key)}
        raise ConfigError(
            Problem("config.invalid", {"key": key, **values, **_source(source)}),
            Problem("config.value", values),
        ) from None


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
                raise ConfigError(Problem("config.not_number", {**given, **_source(source)}))
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
