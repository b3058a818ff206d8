"""The settings model: the :class:`Settings` dataclass and the check of every setting's value.

No I/O here: :mod:`chattui.core.config` reads and writes ``config.toml`` with these checks, and
:mod:`chattui.core.profiles` holds a profile's URL, proxy and timeout to the same rules. (Both
import this module; neither imports the other's checks, so there is no import circle.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chattui.core.keymap import check_keys
from chattui.core.problems import InvalidValue, Problem, ProblemError, Value, as_problem

__all__ = [
    "LOG_LEVELS",
    "PROXY_SCHEMES",
    "REASONING_EFFORTS",
    "ConfigError",
    "Settings",
    "resolve_language",
    "source_values",
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


def source_values(source: str) -> dict[str, Value]:
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
            Problem("config.unknown_setting", {"key": key, "known": known, **source_values(source)})
        )
    try:
        return _VALIDATORS[key](value)
    except ValueError as error:
        reason = error.problem if isinstance(error, ProblemError) else as_problem(str(error))
        values: dict[str, Value] = {"value": repr(value), "reason": reason, "fix": _fix(key)}
        raise ConfigError(
            Problem("config.invalid", {"key": key, **values, **source_values(source)}),
            Problem("config.value", values),
        ) from None


def resolve_language(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """``en`` or ``zh``: the setting, or for ``auto`` the locale's language."""
    if setting in ("en", "zh"):
        return setting
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
