"""The API key: where it comes from, how it is checked, and how it is kept out of sight.

Sources, first match wins: the ``OPENAI_API_KEY`` environment variable, the configured
``api_key_command`` (its standard output), the credentials file (mode 0600, created so from the
start). The key lives in an :class:`ApiKey` whose ``repr``/``str`` is masked, so it cannot leak
through logs, tracebacks or crash screens that print local variables.

``api_key_command`` may take seconds (a password manager): the app never runs it on the UI
thread. :class:`KeyCommands` keeps each command's output; while it defers, asking for a command
that has not run gives a *pending* key, and the UI runs :meth:`KeyCommands.run` in a worker.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from chattui.core.atomic import atomic_write
from chattui.core.problems import Problem, ProblemError, Value

if TYPE_CHECKING:
    from chattui.core.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "ApiKey",
    "KeyCommands",
    "KeyError_",
    "KeyPending",
    "KeySource",
    "ResolvedKey",
    "clean_key",
    "export_secrets",
    "hide_key_shapes",
    "make_resolved",
    "mask",
    "read_credentials",
    "resolve_key",
    "run_key_command",
    "save_credentials",
]

COMMAND_TIMEOUT = 15.0


class KeyError_(ProblemError, ValueError):
    """The key is malformed, or its source failed; :attr:`problem` says why (never the key)."""


class KeyPending(Exception):
    """A key command's output is asked for where the command may not run (the UI thread)."""


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
        raise KeyError_(Problem("no_key.empty"))
    for char in key:
        if not (" " < char < "\x7f"):
            what: Value = (
                Problem("no_key.control_char") if ord(char) < 32 or char == "\x7f" else repr(char)
            )
            if char == " ":
                what = Problem("no_key.space")
            raise KeyError_(Problem("no_key.bad_char", {"what": what}))
    return key


@dataclass(frozen=True)
class ResolvedKey:
    """The key in use (or None) and where it came from."""

    key: ApiKey | None
    source: KeySource
    error: Problem | None = None
    """Why a configured source gave no key (never holds the key)."""
    pending: bool = False
    """The key comes from ``api_key_command``, which has not run yet."""


def _read_table(path: Path) -> dict[str, object] | None:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise KeyError_(Problem("no_key.file", {"path": str(path)})) from None


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
        raise KeyError_(Problem("no_key.file_type", {"path": str(path)}))
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
        raise KeyError_(Problem("no_key.command_run", {"error": str(error)})) from None
    except subprocess.TimeoutExpired:
        seconds = f"{COMMAND_TIMEOUT:g}"
        raise KeyError_(Problem("no_key.command_timeout", {"seconds": seconds})) from None
    if result.returncode != 0:
        raise KeyError_(Problem("no_key.command_exit", {"code": result.returncode}))
    return result.stdout


class KeyCommands:
    """The output of each ``api_key_command``, run once and kept (thread-safe).

    Called with a command (the ``run_command`` of :func:`resolve_key`), it answers from what
    it kept; a command not run yet is run there and then, unless ``defer`` is set: then it
    raises :class:`KeyPending` and remembers the command, for :meth:`run` to run in a worker.
    A failure is kept too (its message) until :meth:`forget_failures`.
    """

    def __init__(self, defer: bool = False) -> None:
        self.defer = defer
        """Never run a command when asked (the UI thread asks); :meth:`run` runs them."""
        self._outputs: dict[str, str] = {}
        self._failures: dict[str, Problem] = {}
        self._wanted: list[str] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # the outputs are keys: never shown
        return f"KeyCommands(defer={self.defer}, kept={len(self._outputs)})"

    def __call__(self, command: str) -> str:
        """The command's output (raises :class:`KeyError_` if it failed, :class:`KeyPending`
        if it has not run and ``defer`` is set)."""
        with self._lock:
            output = self._outputs.get(command)
            failure = self._failures.get(command)
            if output is None and failure is None and self.defer:
                if command not in self._wanted:
                    self._wanted.append(command)
                raise KeyPending(command)
        if output is not None:
            return output
        if failure is not None:
            raise KeyError_(failure)
        return self.run(command)

    def kept(self, command: str) -> bool:
        """Whether ``command`` ran and gave an output (kept: asking for it is instant)."""
        with self._lock:
            return command in self._outputs

    def pending(self) -> list[str]:
        """The commands asked for while deferring that have not run yet, in order."""
        with self._lock:
            return list(self._wanted)

    def run(self, command: str) -> str:
        """Run ``command`` now (slow: call it in a worker thread) and keep what it gave.

        Raises:
            KeyError_: the command failed, timed out or could not start (the reason).
        """
        try:
            output = run_key_command(command)
        except KeyError_ as error:
            with self._lock:
                self._failures[command] = error.problem
                self._outputs.pop(command, None)
                self._forget_wanted(command)
            raise
        with self._lock:
            self._outputs[command] = output
            self._failures.pop(command, None)
            self._forget_wanted(command)
        return output

    def run_pending(self) -> list[Problem]:
        """Run every pending command (in a worker thread); why the failed ones failed."""
        failures: list[Problem] = []
        for command in self.pending():
            try:
                self.run(command)
            except KeyError_ as error:
                failures.append(error.problem)
        return failures

    def forget_failures(self) -> None:
        """Let the failed commands run again (e.g. when settings are saved)."""
        with self._lock:
            self._failures.clear()

    def _forget_wanted(self, command: str) -> None:
        if command in self._wanted:
            self._wanted.remove(command)


def resolve_key(
    credentials_file: Path,
    api_key_command: str = "",
    environ: Mapping[str, str] | None = None,
    run_command: Callable[[str], str] = run_key_command,
) -> ResolvedKey:
    """Find the key: environment, then the command, then the credentials file.

    ``run_command`` gives a command's output (default: run it now); a :class:`KeyCommands`
    that defers makes the key *pending* instead of running the command.
    """
    env = os.environ if environ is None else environ
    if env.get("OPENAI_API_KEY", "").strip():
        return make_resolved(KeySource.ENV, env["OPENAI_API_KEY"])
    source = KeySource.COMMAND if api_key_command else KeySource.FILE
    try:
        if api_key_command:
            value: str | None = run_command(api_key_command)
        else:
            value = read_credentials(credentials_file)
    except KeyPending:
        return ResolvedKey(None, KeySource.COMMAND, pending=True)
    except KeyError_ as error:
        return ResolvedKey(None, source, error.problem)
    return ResolvedKey(None, KeySource.NONE) if value is None else make_resolved(source, value)


def make_resolved(source: KeySource, value: str) -> ResolvedKey:
    """A resolved key from ``value``, or the reason it is not a usable key."""
    try:
        return ResolvedKey(ApiKey(value), source)
    except KeyError_ as error:
        return ResolvedKey(
            None, source, Problem("no_key.source", {"error": error.problem, "source": source.value})
        )


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
    import tomli_w  # only to write: not imported at start-up

    atomic_write(path, tomli_w.dumps(data).encode("utf-8"), mode=0o600)


_KEY_SHAPES = (
    # A token after "Bearer", and an "sk-" key: long, with a digit, so that prose ("the Bearer
    # scheme", "sk-learn") is left alone. No backslash or quote: the text may be JSON.
    re.compile(r"(?i)(\bbearer\s+)(?=[^\s'\",}\\]*\d)[^\s'\",}\\]{16,}"),
    re.compile(r"()\bsk-(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{16,}"),
)


def hide_key_shapes(text: str, replacement: str) -> str:
    """``text`` with anything shaped like an API key (``sk-...``, a ``Bearer`` token) replaced
    by ``replacement`` (``Bearer`` itself is kept)."""
    for pattern in _KEY_SHAPES:
        text = pattern.sub(lambda match: match.group(1) + replacement, text)
    return text


def _stored_keys(credentials_file: Path) -> list[str]:
    """Every key in the credentials file: the top-level one and each profile's."""
    try:
        data = _read_table(credentials_file) or {}
    except KeyError_:
        return []
    tables = [data]
    profiles = data.get("profiles")
    if isinstance(profiles, dict):
        tables += [table for table in profiles.values() if isinstance(table, dict)]
    return [key for table in tables if isinstance(key := table.get("api_key"), str)]


def export_secrets(
    settings: Settings,
    credentials_file: Path,
    environ: Mapping[str, str],
    held: Iterable[ApiKey | None] = (),
) -> list[str]:
    """The keys an export must never contain, whoever exports (``chattui export``, the app).

    Args:
        settings: The settings: each profile's ``api_key_env`` is looked up in ``environ``.
        credentials_file: Its top-level key and every profile's key are included.
        environ: ``OPENAI_API_KEY`` and the profiles' key variables are read here.
        held: Keys the caller already has (e.g. the outputs of ``api_key_command``, which is
            never run for this).

    Returns:
        The secrets, stripped, without duplicates or empty ones. Pass them to
        :func:`chattui.core.export.redacted_copy`, which also hides anything shaped like a key
        (:func:`hide_key_shapes`).
    """
    names = ["OPENAI_API_KEY"]
    for table in settings.profiles.values():
        name = table.get("api_key_env")
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    found = [environ.get(name, "") for name in names]
    found += _stored_keys(credentials_file)
    found += [key.reveal() for key in held if key is not None]
    return list(dict.fromkeys(secret.strip() for secret in found if secret.strip()))
