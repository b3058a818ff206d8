"""Endpoint profiles: named endpoints in ``config.toml`` (``[profiles.NAME]``) and the endpoint a
conversation talks to.

A profile names a base URL and, optionally, where its key comes from (an environment variable,
a command, or its own entry in the 0600 credentials file), a proxy, a default model, a timeout
and extra headers (for gateways: Azure-style ``api-key``, OpenRouter's ``HTTP-Referer``). A
profile on a loopback host (Ollama, vLLM, LM Studio on this machine) needs no key.

With no profile chosen, the top-level settings are the endpoint (``base_url``, ``proxy``, the
``OPENAI_API_KEY`` / ``api_key_command`` / credentials file key), exactly as without profiles.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chattui.core.problems import InvalidValue, Problem, ProblemError, Value
from chattui.core.secrets import (
    KeyPending,
    KeySource,
    ResolvedKey,
    make_resolved,
    read_credentials,
    resolve_key,
    run_key_command,
)
from chattui.core.settings import ConfigError, Settings, validate_value

__all__ = [
    "PROFILE_KEYS",
    "Endpoint",
    "Profile",
    "is_local_url",
    "key_help",
    "key_origin",
    "parse_profiles",
    "resolve_endpoint",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_RESERVED_HEADERS = {"authorization", "content-type", "content-length", "host"}


def is_local_url(url: str) -> bool:
    """True when ``url`` points at this machine (localhost or a loopback address)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Profile:
    """One ``[profiles.NAME]`` table, checked."""

    name: str
    base_url: str
    model: str = ""
    """Model of new conversations on this endpoint; empty: the top-level ``model``."""
    proxy: str | None = None
    """Proxy URL, ``""`` for a direct connection, None to use the top-level ``proxy``
    (a local endpoint never uses the top-level proxy)."""
    timeout: float | None = None
    """Seconds; None: the top-level ``timeout``."""
    api_key_env: str = ""
    """Name of an environment variable holding the key (e.g. ``DEEPSEEK_API_KEY``)."""
    api_key_command: str = ""
    """A command whose standard output is the key."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra HTTP headers sent with every request."""
    key_header: str = ""
    """Send the key in this header (e.g. ``api-key``) instead of ``Authorization: Bearer``."""
    needs_key: bool = True
    """False for endpoints that take no key (the default for a local base URL)."""


def _refuse(reason: str, **values: Value) -> InvalidValue:
    return InvalidValue(Problem(f"config.reason.{reason}", values))


def _check_str(value: object) -> str:
    if not isinstance(value, str):
        raise _refuse("string")
    return value.strip()


def _check_headers(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _refuse("headers")
    headers: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER.match(name):
            raise _refuse("header_name", name=repr(name))
        if name.lower() in _RESERVED_HEADERS:
            raise _refuse("header_reserved", name=repr(name))
        if not isinstance(text, str) or any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise _refuse("header_value", name=repr(name))
        headers[name] = text
    return headers


def _check_header_name(value: object) -> str:
    name = _check_str(value)
    if name and (not _HEADER.match(name) or name.lower() in _RESERVED_HEADERS - {"authorization"}):
        raise _refuse("header_name", name=repr(name))
    return name


def _check_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _refuse("bool")
    return value


def _validators() -> dict[str, Callable[[Any], Any]]:
    # The top-level setting checks are reused, so a profile's URL or proxy is held to the same
    # rules.
    def setting(key: str) -> Callable[[Any], Any]:
        return lambda value: validate_value(key, value)

    return {
        "base_url": setting("base_url"),
        "model": _check_str,
        "proxy": setting("proxy"),
        "timeout": setting("timeout"),
        "api_key_env": _check_str,
        "api_key_command": _check_str,
        "headers": _check_headers,
        "key_header": _check_header_name,
        "needs_key": _check_bool,
    }


PROFILE_KEYS = (
    "base_url",
    "model",
    "proxy",
    "timeout",
    "api_key_env",
    "api_key_command",
    "headers",
    "key_header",
    "needs_key",
)
"""The keys a ``[profiles.NAME]`` table may hold."""


def _check_profile(name: str, table: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The good values of ``[profiles.NAME]``, and a problem for every key that is unknown or
    bad and for a missing base_url (``config.profiles.*``): all of them, so that one edit can
    fix the profile."""
    checks = _validators()
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    refused: set[str] = set()
    for key, value in table.items():
        if key not in checks:
            known = ", ".join(PROFILE_KEYS)
            unknown = {"name": name, "key": key, "known": known}
            problems.append(Problem("config.profiles.unknown_key", unknown))
            continue
        try:
            values[key] = checks[key](value)
        except ConfigError as error:
            detail = error.detail
        except InvalidValue as error:
            detail = Problem("config.value.plain", {"value": repr(value), "reason": error.problem})
        else:
            continue
        refused.add(key)
        details: dict[str, Value] = {"name": name, "key": key, "detail": detail}
        problems.append(Problem("config.profiles.invalid", details))
    if not values.get("base_url") and "base_url" not in refused:
        problems.append(Problem("config.profiles.no_base_url", {"name": name}))
    return values, problems


def _parse_one(name: str, table: Mapping[str, Any]) -> tuple[dict[str, Any], Profile]:
    """The checked values and the profile of ``[profiles.NAME]``.

    Raises:
        InvalidValue: a key is unknown or bad, or base_url is missing (the first problem;
            :func:`parse_profiles` reports them all).
    """
    values, problems = _check_profile(name, table)
    if problems:
        raise InvalidValue(problems[0])
    needs_key = values.get("needs_key", not is_local_url(values["base_url"]))
    profile = Profile(
        name=name,
        base_url=values["base_url"],
        model=values.get("model", ""),
        proxy=values.get("proxy"),
        timeout=values.get("timeout"),
        api_key_env=values.get("api_key_env", ""),
        api_key_command=values.get("api_key_command", ""),
        headers=values.get("headers", {}),
        key_header=values.get("key_header", ""),
        needs_key=needs_key,
    )
    return values, profile


def parse_profiles(
    raw: object, source: str = ""
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Check the ``profiles`` table: (the good profiles' tables, every problem of the bad ones).

    A bad profile is left out with a problem naming the file (``source``), the profile and
    the key; the others still load.
    """
    where: dict[str, Value] = {"source": source} if source else {}
    if not isinstance(raw, Mapping):
        return {}, [Problem("config.profiles.not_tables", where)]
    good: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for name, table in raw.items():
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(Problem("config.profiles.bad_name", {"name": str(name), **where}))
            continue
        if not isinstance(table, Mapping):
            problems.append(Problem("config.profiles.not_table", {"name": name, **where}))
            continue
        values, bad = _check_profile(name, table)
        if bad:
            problems.extend(problem.with_values(**where) for problem in bad)
        else:
            good[name] = values
    return good, problems


def profile_from(name: str, table: Mapping[str, Any]) -> Profile:
    """The :class:`Profile` for a table that :func:`parse_profiles` accepted."""
    return _parse_one(name, table)[1]


@dataclass(frozen=True)
class Endpoint:
    """Where a conversation's requests go, and with which key."""

    profile: str
    """The profile's name, or ``""`` for the top-level settings."""
    base_url: str
    proxy: str
    timeout: float
    model: str
    key: ResolvedKey
    headers: Mapping[str, str] = field(default_factory=dict)
    key_header: str = ""
    needs_key: bool = True

    @property
    def ready(self) -> bool:
        """Whether requests can be sent: a key was found, or none is needed."""
        return self.key.key is not None or not self.needs_key


def _profile_key(
    profile: Profile,
    credentials_file: Path,
    environ: Mapping[str, str],
    run_command: Callable[[str], str],
) -> ResolvedKey:
    """The profile's key: its environment variable, then its command, then its entry in the
    credentials file."""
    if profile.api_key_env and environ.get(profile.api_key_env, "").strip():
        return make_resolved(KeySource.ENV, environ[profile.api_key_env])
    source = KeySource.COMMAND if profile.api_key_command else KeySource.FILE
    try:
        if profile.api_key_command:
            value: str | None = run_command(profile.api_key_command)
        else:
            value = read_credentials(credentials_file, profile.name)
    except KeyPending:
        return ResolvedKey(None, KeySource.COMMAND, pending=True)
    except ValueError as error:
        reason = error.problem if isinstance(error, ProblemError) else str(error)
        return ResolvedKey(
            None, source, Problem("no_key.profile", {"profile": profile.name, "error": reason})
        )
    if value is None:
        if profile.needs_key and profile.api_key_env:
            values = {"profile": profile.name, "env": profile.api_key_env}
            return ResolvedKey(None, KeySource.NONE, Problem("no_key.env_unset", values))
        return ResolvedKey(None, KeySource.NONE)
    return make_resolved(source, value)


def resolve_endpoint(
    settings: Settings,
    name: str,
    credentials_file: Path,
    environ: Mapping[str, str],
    run_command: Callable[[str], str] = run_key_command,
) -> Endpoint:
    """The endpoint of profile ``name`` (``""`` or an unknown name: the top-level settings).

    ``run_command`` gives a key command's output (see
    :class:`~chattui.core.secrets.KeyCommands`).
    """
    table = settings.profiles.get(name) if name else None
    if table is None:
        key = resolve_key(credentials_file, settings.api_key_command, environ, run_command)
        return Endpoint(
            "", settings.base_url, settings.proxy, settings.timeout, settings.model, key
        )
    profile = profile_from(name, table)
    if profile.proxy is not None:
        proxy = profile.proxy
    else:
        proxy = "" if is_local_url(profile.base_url) else settings.proxy
    return Endpoint(
        profile=name,
        base_url=profile.base_url,
        proxy=proxy,
        timeout=profile.timeout if profile.timeout is not None else settings.timeout,
        model=profile.model or settings.model,
        key=_profile_key(profile, credentials_file, environ, run_command),
        headers=dict(profile.headers),
        key_header=profile.key_header,
        needs_key=profile.needs_key,
    )


def _origin(profile: Profile, source: KeySource, credentials_file: Path) -> Problem:
    if source is KeySource.ENV:
        return Problem("no_key.from_env", {"env": profile.api_key_env})
    if source is KeySource.COMMAND:
        return Problem("no_key.from_command")
    return Problem("no_key.from_file", {"profile": profile.name, "file": str(credentials_file)})


def _profile(settings: Settings, name: str) -> Profile | None:
    table = settings.profiles.get(name) if name else None
    return None if table is None else profile_from(name, table)


def key_origin(
    settings: Settings, name: str, source: KeySource, credentials_file: Path
) -> Problem | None:
    """Where the key of profile ``name`` came from (``source``), in the user's terms: its
    environment variable by name, its command, or its entry in the credentials file. None
    for the top-level endpoint (``""`` or an unknown name) or no key."""
    profile = _profile(settings, name)
    if profile is None or source is KeySource.NONE:
        return None
    return _origin(profile, source, credentials_file)


def key_help(settings: Settings, name: str, credentials_file: Path) -> Problem | None:
    """For profile ``name`` without its key: where the key is looked for, in order (never
    ``OPENAI_API_KEY``, which is the top-level endpoint's). None for the top-level endpoint,
    or a profile that needs no key."""
    profile = _profile(settings, name)
    if profile is None or not profile.needs_key:
        return None
    second = KeySource.COMMAND if profile.api_key_command else KeySource.FILE
    sources = _origin(profile, second, credentials_file)
    if profile.api_key_env:
        first = _origin(profile, KeySource.ENV, credentials_file)
        sources = Problem("no_key.either", {"first": first, "second": sources})
    return Problem("no_key.profile_sources", {"profile": name, "sources": sources})
