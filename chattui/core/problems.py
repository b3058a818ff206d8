"""Errors and notes as data: a code and its values, worded only where they are shown.

The core never builds sentences for the user. A failure is a :class:`Problem`: a code from
:data:`TEMPLATES` and the values to fill in (host, status, the server's own words...). The UI and
``chattui ask`` word it in the user's language by passing their translation function to
:meth:`Problem.text`; the English templates are the translation catalog's keys.

A value may itself be a problem (the reason a setting is refused, the fix it needs, a source
such as "environment"): it is worded in the same language as the problem holding it. Code that
raises carries the problem in a :class:`ProblemError` (``str()`` is the English wording, for
logs and for callers that need a string).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "PREFIXES",
    "SUFFIXES",
    "TEMPLATES",
    "ErrorKind",
    "InvalidValue",
    "Problem",
    "ProblemError",
    "Value",
    "as_problem",
    "file_problem",
]


class ErrorKind(str, Enum):
    """What went wrong, for the UI to pick an action and ``chattui ask`` an exit code."""

    AUTH = "auth"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    BAD_REQUEST = "bad_request"
    SERVER = "server"
    CONNECT = "connect"
    PROXY = "proxy"
    TIMEOUT = "timeout"
    STREAM_CUT = "stream_cut"
    INCOMPLETE = "incomplete"
    BAD_RESPONSE = "bad_response"
    NO_KEY = "no_key"
    TOO_LONG = "too_long"
    NOTE = "note"
    """Not a failure: a remark on a complete reply (cut short by max_tokens...)."""
    CONFIG = "config"
    """config.toml, the environment or the command line holds a bad setting."""
    THEME = "theme"
    """A theme file is bad (it is skipped)."""
    ROLE = "role"
    """A role file is bad (it is skipped), or could not be written."""
    FILES = "files"
    """A directory or file chattui needs cannot be used."""
    IMPORT = "import"
    """A file cannot be imported (nothing from it is)."""
    STORAGE = "storage"
    """A conversation file could not be saved, read, listed or deleted."""
    FORMAT = "format"
    """A conversation (a file, an export's item) does not have the expected shape."""
    TEXT = "text"
    """Words that code not yet turned into data built in English: shown as they are."""


TEMPLATES: dict[str, str] = {
    "auth": "The API key was rejected (401).",
    "bad_request": "The request was refused ({status}).",
    "bad_response": "Unexpected failure talking to {host}: {error}.",
    "bad_response.event": "The server sent an unexpected event.",
    "bad_response.json": (
        "The server sent data that is not valid JSON or UTF-8; the partial reply is kept. "
        "Check the base URL, or retry."
    ),
    "bad_response.not_stream": (
        "The server answered with {content_type} instead of a stream of events. "
        "Check the base URL (it usually ends in /v1)."
    ),
    "bad_response.tokens": "Cannot count tokens: {error}",
    "connect": (
        "Cannot connect to {host}: {reason}. Check the network and the base URL, and set a "
        "proxy if you need one."
    ),
    "connect.proxy": (
        "Cannot connect to {host} through the proxy {proxy}: {reason}. Check the network, "
        "the base URL and the proxy."
    ),
    "forbidden": (
        "Access denied (403): the key cannot use this model or endpoint, or the region is "
        "not supported."
    ),
    "incomplete": (
        "The reply ended without the server saying it was finished; it may be incomplete. "
        "Retry to get a full reply."
    ),
    "no_key": "No API key is set.",
    "no_key.empty": "The API key is empty.",
    "no_key.bad_char": (
        "The API key contains {what}; paste the key again without extra characters."
    ),
    "no_key.control_char": "a control character",
    "no_key.space": "a space",
    "no_key.file": "{path}: cannot be read as TOML; fix it or save the key again.",
    "no_key.file_type": "{path}: api_key must be a string.",
    "no_key.command_run": "api_key_command could not run: {error}",
    "no_key.command_timeout": "api_key_command did not finish within {seconds} s.",
    "no_key.command_exit": "api_key_command failed with exit code {code}.",
    "no_key.source": "{error} (source: {source})",
    "no_key.profile": "profile {profile}: {error}",
    "no_key.env_unset": "profile {profile}: {env} is not set.",
    "no_key.profile_sources": "Profile {profile} takes its key from {sources}.",
    "no_key.either": "{first}, else {second}",
    "no_key.from_env": "the environment variable {env}",
    "no_key.from_command": "its api_key_command",
    "no_key.from_file": "its [profiles.{profile}] entry in {file}",
    "not_found": (
        "Not found (404): the model does not exist or the key has no access to it, or the "
        "base URL is wrong."
    ),
    "note.content_filter": "The server's content filter stopped the reply.",
    "note.finish": "The reply ended early ({reason}).",
    "note.length": "The reply reached the max_tokens limit and was cut short.",
    "proxy": (
        "Cannot connect through the proxy {proxy}: {reason}. Check that it is running, and "
        "its address and credentials."
    ),
    "proxy.auth": (
        "The proxy {proxy} refused the credentials (407). Check the user name and password "
        "in the proxy URL."
    ),
    "quota": "Out of quota (429): check the account's plan and billing.",
    "rate_limit": "Rate limited (429): too many requests; wait a moment and retry.",
    "server": "The server had an error ({status}); retry in a moment.",
    "server.event": "The server reported an error during the reply: {detail}",
    "stream_cut": (
        "The connection was cut before the reply was finished; the partial reply is kept. "
        "Retry to get a full reply."
    ),
    "timeout": "{host} did not answer for a while; retry later.",
    "timeout.streaming": "{host} sent nothing more for a while; retry later.",
    "too_long": (
        "The prompt is too long for {model}: it needs {required} tokens (including {reserve} "
        "kept for the reply) but the window is {window}. Shorten it, lower max_tokens, or pick "
        "a model with a larger window. Nothing was sent."
    ),
    # -- settings: config.toml, the environment, the command line ---------------------------
    # A problem with a ``source`` value (the file, or "environment") starts with it: PREFIXES.
    "config.unreadable": "{file}: cannot be read ({error}); using defaults.",
    "config.not_utf8": "{file}: not UTF-8 text; using defaults. Fix or delete the file.",
    "config.not_toml": "{file}: not valid TOML ({error}); using defaults. Fix or delete the file.",
    "config.unknown_setting": "{key}: unknown setting. Remove it; known settings: {known}.",
    "config.invalid": "{key}: {value} {reason}. {fix}",
    "config.value": "{value} {reason}. {fix}",
    "config.value.plain": "{value} {reason}.",
    "config.not_number": (
        "{key}: {value} is a string, not a number. Write the number without quotes: "
        "{key} = {number}"
    ),
    "config.source.environment": "environment",
    "config.source.command_line": "command line",
    "config.none": "none",
    "config.kept": "The old config file was kept as {name}.",
    "config.models": "config.toml [models]: {error}; using the bundled catalog.",
    "config.reason.url": "must start with http:// or https:// and name a host",
    "config.reason.proxy_scheme": "scheme must be one of {schemes}",
    "config.reason.proxy_host": "names no host",
    "config.reason.proxy_port": "has an invalid port",
    "config.reason.whole_number": "must be a whole number",
    "config.reason.positive": "must be greater than 0",
    "config.reason.number": "must be a number",
    "config.reason.between": "must be between {low} and {high}",
    "config.reason.string": "must be a string",
    "config.reason.not_empty": "must not be empty",
    "config.reason.one_of": "must be one of {choices}",
    "config.reason.bool": "must be true or false",
    "config.reason.models": 'must be tables like [models."my-model"]',
    "config.reason.keys": 'must be a table like [keys] new_conversation = "ctrl+t"',
    "config.reason.key_entry": '{action}: use a key like "ctrl+t", or a list of keys',
    "config.reason.headers": (
        'must be a table like {{ "HTTP-Referer" = "https://example.com" }}'  # {{ }}: braces
    ),
    "config.reason.header_name": "{name} is not a valid header name",
    "config.reason.header_reserved": "{name} is set by chattui; use key_header for the key",
    "config.reason.header_value": "the value of {name} must be text on one line",
    "config.fix.default": "Default: {default}.",
    "config.fix.base_url": 'Use a URL such as "https://api.openai.com/v1".',
    "config.fix.proxy": (
        'Use e.g. "http://127.0.0.1:7890" or "socks5://127.0.0.1:1080", or "" for none.'
    ),
    "config.fix.max_tokens": (
        "Use a whole number above 0, or remove the line to let the model decide."
    ),
    "config.fix.temperature": (
        "Use a number from 0 to 2, or remove the line for the server default."
    ),
    "config.fix.timeout": "Use a number of seconds, e.g. 60.",
    "config.fix.context_window": "Use a whole number of tokens, e.g. 128000.",
    "config.fix.auto_title": "Use true or false (without quotes).",
    "config.profile.missing": (
        "{file}: profile: no profile named {name} (defined: {defined}); using the top-level "
        "endpoint."
    ),
    "config.profile.unknown": "No profile named “{name}” in {file} (defined: {defined}).",
    "config.profiles.not_tables": "profiles: must be tables like [profiles.deepseek].",
    "config.profiles.bad_name": (
        "profiles.{name}: a profile name uses letters, digits, '-', '_' or '.'."
    ),
    "config.profiles.not_table": "profiles.{name}: must be a table ([profiles.{name}]).",
    "config.profiles.unknown_key": (
        "profiles.{name}.{key}: unknown key (known: {known}). This profile is not loaded."
    ),
    "config.profiles.invalid": "profiles.{name}.{key}: {detail} This profile is not loaded.",
    "config.profiles.no_base_url": (
        'profiles.{name}.base_url is required, e.g. base_url = "http://localhost:11434/v1". '
        "This profile is not loaded."
    ),
    "config.keys.unknown_action": "{where}: unknown action {action}; {hint}",
    "config.keys.did_you_mean": "did you mean {names}?",
    "config.keys.see_readme": "the README (Rebinding keys) lists every action",
    "config.keys.bad_key": (
        "{where}: {action}: {keys} is not a key name (examples: ctrl+t, f5, escape, alt+up)."
    ),
    "config.keys.taken": (
        "{where}: {action}: {key} is already used by {other}; this line is ignored."
    ),
    "config.keys.types_text": (
        "{where}: {action}: {key} types text, and typed text never runs an action; use a key"
        " with Ctrl or Alt (e.g. alt+{key}). This line is ignored."
    ),
    # -- theme and role files -----------------------------------------------------------------
    "theme.file": "Theme {path}: {error}",
    "theme.not_utf8": "Theme {path}: not UTF-8 text",
    "theme.not_toml": "Theme {path}: not valid TOML ({error})",
    "theme.name": "Theme {path}: 'name' must be a non-empty string",
    "theme.flags": "Theme {path}: 'dark' and 'ansi' must be true or false",
    "theme.unknown_key": "Theme {path}: unknown key {key} (known: {known})",
    "theme.color": "Theme {path}: '{key}' must be a colour like \"#1e1e2e\", not {value}",
    "theme.color.ansi": (
        'Theme {path}: \'{key}\' must be a colour like "#1e1e2e" or "ansi_blue", not {value}'
    ),
    "theme.no_primary": "Theme {path}: 'primary' colour is required",
    "theme.variables": "Theme {path}: [variables] must map names to strings",
    "theme.code_theme": "Theme {path}: 'code_theme' must be a string",
    "theme.unknown_code_theme": (
        "Theme {path}: unknown code_theme {name} (a Pygments style such as monokai or "
        "friendly); using the default."
    ),
    "theme.unknown": "Unknown theme {name}; using the default.",
    "role.file": "Role file {path}: {error}",
    "role.not_utf8": "Role file {path}: not UTF-8 text",
    "role.not_toml": "Role file {path}: not valid TOML ({error})",
    "role.unknown_key": "Role file {path}: unknown key '{key}' (use: {known})",
    "role.model": "Role file {path}: 'model' must be a model name",
    "role.temperature": "Role file {path}: 'temperature' must be a number",
    "role.temperature.range": "Role file {path}: 'temperature' must be between 0 and 2",
    "role.text": "Role file {path}: '{key}' must be a string",
    "role.text.required": "Role file {path}: '{key}' is required and must not be empty",
    "role.text.long": "Role file {path}: '{key}' is longer than {limit} characters",
    "role.save": "Could not save the role to {path}: {error}",
    "role.delete": "Could not delete {path}: {error}",
    "role.builtin": "Built-in roles cannot be deleted.",
    # -- directories and files ----------------------------------------------------------------
    "import.zip_empty": "{path}: the zip file holds no {name}",
    "import.zip_bad": "{path}: damaged zip file ({error})",
    "import.missing": "{path}: no such file",
    "import.is_dir": "{path}: is a directory",
    "import.read": "{path}: cannot read it ({error})",
    "import.not_utf8": "{path}: not a text file (not UTF-8)",
    "import.not_json": "{path}: not valid JSON (line {line}, column {column}: {error})",
    "import.too_deep": "{path}: the JSON is nested too deeply",
    "import.bad_item": "{path}: {where}: {error}",
    "import.where": "conversation {n}",
    "import.where_titled": "conversation {n} (“{title}”)",
    "import.the_conversation": "the conversation",
    "import.neither": (
        "neither a chattui conversation (no 'schema') nor a ChatGPT export conversation "
        "(no 'mapping')"
    ),
    "import.storage": "{path}: {error} Nothing from this file was imported.",
    "storage.bad_id": "Invalid conversation id {id}.",
    "storage.save": "Could not save the conversation: {error}.",
    "storage.locked": (
        "Not saved yet: another chattui instance has held {path} for more than {seconds} s. "
        "The text stays in memory and is saved with the next change; if that instance hangs, "
        "close it."
    ),
    "storage.too_large": "{name} is {mb} MB, too large to open; it was left in place.",
    "storage.gone": "{name} no longer exists.",
    "storage.read": "Cannot read {name}: {error}.",
    "storage.corrupt": "{name} is damaged ({reason}); it was kept as {kept}.",
    "storage.corrupt_stuck": "{name} is damaged ({reason}) and could not be moved aside.",
    "storage.not_utf8": "not UTF-8",
    "storage.not_json": "not valid JSON: line {line}, column {column}: {error}",
    # -- a file or an export item of the wrong shape (FormatError) --------------------------
    "format.not_object": "the file does not hold a JSON object",
    "format.schema": "unsupported schema {schema} (expected {expected})",
    "format.not_list": "{key} is not a list",
    "format.not_an_object": "{key} is not an object",
    "format.message_not_object": "a message is not an object",
    "format.no_id": "the conversation has no id",
    "format.bad_id": "the id {id} is not a plain id",
    "format.not_string": "{key} is not a string",
    "format.not_number": "{key} is not a number",
    "format.not_bool": "{key} is not true or false",
    "format.not_integer": "{key} is not an integer",
    "format.bad_choice": "{key} cannot be {value}",
    "format.part": "a message part is neither text nor an object",
    "format.node": "node {node}: {error}",
    "format.node_not_object": "node {node} is not an object",
    "format.orphan": "node {node} has parent {parent}, which is not there",
    "format.loop": "the message tree has a loop (a node is its own ancestor)",
    "format.too_deep": "the JSON is nested too deeply",
    "storage.delete": "Could not delete the conversation: {error}.",
    "storage.list": "Cannot list {path}: {error}.",
    "files.not_dir": "{path} exists but is not a directory; move it away or set CHATTUI_HOME.",
    "files.cannot_create": "Cannot create {path}: {error}.",
    "files.no_saving": "{error} Conversations cannot be saved until this is fixed.",
    "files.log": "Cannot write the log {path}: {error}",
    "text": "{text}",
}
"""Code -> English template (also the translation catalog's key)."""

SUFFIXES: dict[str, str] = {
    "detail": " The server said: {detail}",
    "html": " The response was an HTML page, not JSON: check the base URL.",
    "proxy": " (proxy: {proxy})",
}
"""Value name -> sentence added when a problem has that value and its template does not use it."""

PREFIXES: dict[str, str] = {
    "source": "{source}: ",
}
"""Value name -> words put before a problem that has that value and whose template does not use
it (where a setting came from: the file, or "environment")."""

Translate = Callable[[str], str]

Value = Union[str, int, "Problem"]
"""What a template's field is filled with: text, a number, or a problem worded in turn."""


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Problem:
    """A failure or a note, as data.

    Attributes:
        code: A key of :data:`TEMPLATES`: the kind, then optionally ``.variant``.
        values: What the template's ``{fields}`` are filled with (already sanitized, never
            holding a secret); a value that is a :class:`Problem` is worded in turn.
    """

    code: str
    values: Mapping[str, Value] = field(default_factory=dict)

    @property
    def kind(self) -> ErrorKind:
        """The kind of problem (an unknown code, e.g. from a newer version, is BAD_RESPONSE)."""
        try:
            return ErrorKind(self.code.split(".", 1)[0])
        except ValueError:
            return ErrorKind.BAD_RESPONSE

    def text(self, translate: Translate = _same) -> str:
        """The problem in words: ``translate`` maps each English template to the user's
        language (the default keeps English)."""
        template = TEMPLATES.get(self.code)
        if template is None:  # written by another version: show what it carried
            text = self.values.get("text", self.code)
            return text.text(translate) if isinstance(text, Problem) else str(text)
        values = {
            name: value.text(translate) if isinstance(value, Problem) else value
            for name, value in self.values.items()
        }
        words = _fill(translate(template), values)
        for name, prefix in PREFIXES.items():
            if values.get(name) and "{" + name + "}" not in template:
                words = _fill(translate(prefix), values) + words
        for name, suffix in SUFFIXES.items():
            if values.get(name) and "{" + name + "}" not in template:
                words += _fill(translate(suffix), values)
        return words

    def __str__(self) -> str:
        return self.text()

    def with_values(self, **values: Value) -> Problem:
        """The same problem with more (or other) values."""
        return Problem(self.code, {**self.values, **values})

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "values": {
                name: value.to_dict() if isinstance(value, Problem) else value
                for name, value in self.values.items()
            },
        }

    @classmethod
    def from_dict(cls, data: object) -> Problem | None:
        """The problem in ``data``, or None if it does not have the expected shape."""
        if not isinstance(data, Mapping) or not isinstance(data.get("code"), str):
            return None
        values = data.get("values", {})
        if not isinstance(values, Mapping):
            return None
        clean: dict[str, Value] = {}
        for key, value in values.items():
            if isinstance(value, Mapping):
                inner = cls.from_dict(value)
                if inner is not None:
                    clean[str(key)] = inner
            elif isinstance(value, str | int) and not isinstance(value, bool):
                clean[str(key)] = value
        return cls(data["code"], clean)


def as_problem(words: str | Problem) -> Problem:
    """``words`` as a problem: a problem as it is, a sentence (from code that does not return
    problems yet) under the code ``text``, shown as written."""
    return words if isinstance(words, Problem) else Problem("text", {"text": words})


def file_problem(kind: str, path: Path, error: Exception) -> Problem:
    """The problem of a data file that could not be used: ``<kind>.not_utf8``,
    ``<kind>.not_toml`` or ``<kind>.file`` (unreadable: the system's reason), naming ``path``."""
    if isinstance(error, UnicodeDecodeError):
        return Problem(f"{kind}.not_utf8", {"path": str(path)})
    if isinstance(error, tomllib.TOMLDecodeError):
        return Problem(f"{kind}.not_toml", {"path": str(path), "error": str(error)})
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return Problem(f"{kind}.file", {"path": str(path), "error": reason})


class ProblemError(Exception):
    """An exception carrying a :class:`Problem`: front ends word ``error.problem.text(_)``;
    ``str(error)`` is the English wording (logs, callers that need a string).

    Mix it into the exception a caller already catches: ``class StorageError(ProblemError,
    OSError)`` keeps ``except OSError`` working.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.text())

    def __str__(self) -> str:
        return self.problem.text()


class InvalidValue(ProblemError, ValueError):
    """A value is refused; :attr:`problem` says why (often a reason that a caller puts into a
    problem naming the file and the key)."""


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with its fields filled; a field without a value stays as written."""
    return template.format_map(_Missing(values))
