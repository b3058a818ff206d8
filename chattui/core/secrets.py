"""The API key: where it comes from, how it is checked, and how it is kept out of sight.

Sources, first match wins: the ``OPENAI_API_KEY`` environment variable, the configured
``api_key_command`` (its standard output), the credentials file (mode 0600, created so from the
start). The key lives in an :class:`ApiKey` whose ``repr``/``str`` is masked, so it cannot leak
through logs, tracebacks or crash screens that print local variables.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import tomli_w

from chattui.core.atomic import atomic_write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "ApiKey",
    "KeyError_",
    "KeySource",
    "ResolvedKey",
    "clean_key",
    "make_resolved",
    "mask",
    "read_credentials",
    "resolve_key",
    "run_key_command",
    "save_credentials",
]

COMMAND_TIMEOUT = 15.0


class KeyError_(ValueError):
    """The key is malformed, or its source failed. The message is safe to show."""


class KeySource(str, Enum):
    """Where the key in use came from."""

    ENV = "env"
    COMMAND = "command"
    FILE = "file"
    NONE = "none"


def mask(secret: str) -> str:
    """``sk-...abcd``: enough to recognise a key, never enough to use it."""
    if not secret:
        return ""
    if len(secret) <= 8:
        return "***"
    prefix = secret[:3] if secret.startswith(("sk-", "sk_")) else ""
    return f"{prefix}...{secret[-4:]}"


class ApiKey:
    """An API key whose ``repr`` and ``str`` never show it. Use :meth:`reveal` to send it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = clean_key(value)

    def reveal(self) -> str:
        """The real key, for the Authorization header only."""
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value)

    def __repr__(self) -> str:
        return f"ApiKey({self.masked!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("ApiKey cannot be pickled")


def clean_key(value: str) -> str:
    """Strip surrounding white space and check the key is printable ASCII.

    Raises:
        KeyError_: empty, or contains control / non-ASCII characters (a paste gone wrong).
    """
    key = value.strip()
    if not key:
        raise KeyError_("The API key is empty.")
    for char in key:
        if not (" " < char < "\x7f"):
            what = "a control character" if ord(char) < 32 or char == "\x7f" else repr(char)
            if char == " ":
                what = "a space"
            raise KeyError_(
                f"The API key contains {what}; paste the key again without extra characters."
            )
    return key


@dataclass(frozen=True)
class ResolvedKey:
    """The key in use (or None) and where it came from."""

    key: ApiKey | None
    source: KeySource
    error: str | None = None
    """Why a configured source gave no key (safe to show)."""


def _read_table(path: Path) -> dict[str, object] | None:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise KeyError_(f"{path}: cannot be read as TOML; fix it or save the key again.") from None


def read_credentials(path: Path, profile: str = "") -> str | None:
    """The key stored in the credentials file: top-level ``api_key``, or for ``profile`` the
    ``api_key`` of its ``[profiles.NAME]`` table. None when there is none.

    Raises:
        KeyError_: the file is unreadable or the entry is not a string.
    """
    data = _read_table(path)
    if data is None:
        return None
    if profile:
        profiles = data.get("profiles")
        entry = profiles.get(profile) if isinstance(profiles, dict) else None
        data = entry if isinstance(entry, dict) else {}
    value = data.get("api_key")
    if value is None:
        return None
    if not isinstance(value, str):
        raise KeyError_(f"{path}: api_key must be a string.")
    return value


def run_key_command(command: str) -> str:
    """The standard output of ``command`` (the key), or :class:`KeyError_` saying why not."""
    try:
        result = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, ValueError) as error:
        raise KeyError_(f"api_key_command could not run: {error}") from None
    except subprocess.TimeoutExpired:
        raise KeyError_(f"api_key_command did not finish within {COMMAND_TIMEOUT:g} s.") from None
    if result.returncode != 0:
        raise KeyError_(f"api_key_command failed with exit code {result.returncode}.")
    return result.stdout


def resolve_key(
    credentials_file: Path, api_key_command: str = "", environ: Mapping[str, str] | None = None
) -> ResolvedKey:
    """Find the key: environment, then the command, then the credentials file."""
    env = os.environ if environ is None else environ
    if env.get("OPENAI_API_KEY", "").strip():
        return make_resolved(KeySource.ENV, env["OPENAI_API_KEY"])
    source = KeySource.COMMAND if api_key_command else KeySource.FILE
    try:
        if api_key_command:
            value: str | None = run_key_command(api_key_command)
        else:
            value = read_credentials(credentials_file)
    except KeyError_ as error:
        return ResolvedKey(None, source, str(error))
    return ResolvedKey(None, KeySource.NONE) if value is None else make_resolved(source, value)


def make_resolved(source: KeySource, value: str) -> ResolvedKey:
    """A resolved key from ``value``, or the reason it is not a usable key."""
    try:
        return ResolvedKey(ApiKey(value), source)
    except KeyError_ as error:
        return ResolvedKey(None, source, f"{error} (source: {source.value})")


def save_credentials(path: Path, key: ApiKey, profile: str = "") -> None:
    """Store the key (``profile``'s own entry when given) in the credentials file, created
    with mode 0600. The other entries in the file are kept."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        data: dict[str, object] = _read_table(path) or {}
    except KeyError_:
        data = {}  # unreadable: the new key replaces it (it held nothing usable)
    if profile:
        profiles = data.get("profiles")
        table = dict(profiles) if isinstance(profiles, dict) else {}
        entry = table.get(profile)
        table[profile] = {**(entry if isinstance(entry, dict) else {}), "api_key": key.reveal()}
        data["profiles"] = table
    else:
        data["api_key"] = key.reveal()
    atomic_write(path, tomli_w.dumps(data).encode("utf-8"), mode=0o600)
