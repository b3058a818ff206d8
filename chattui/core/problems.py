"""Errors and notes as data: a code and its values, worded only where they are shown.

The core never builds sentences for the user. A failure is a :class:`Problem`: a code from
:data:`TEMPLATES` and the values to fill in (host, status, the server's own words...). The UI and
``chattui ask`` word it in the user's language by passing their translation function to
:meth:`Problem.text`; the English templates are the translation catalog's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["SUFFIXES", "TEMPLATES", "ErrorKind", "Problem"]


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
}
"""Code -> English template (also the translation catalog's key)."""

SUFFIXES: dict[str, str] = {
    "detail": " The server said: {detail}",
    "html": " The response was an HTML page, not JSON: check the base URL.",
    "proxy": " (proxy: {proxy})",
}
"""Value name -> sentence added when a problem has that value and its template does not use it."""

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Problem:
    """A failure or a note, as data.

    Attributes:
        code: A key of :data:`TEMPLATES`: the kind, then optionally ``.variant``.
        values: What the template's ``{fields}`` are filled with (already sanitized, never
            holding a secret).
    """

    code: str
    values: Mapping[str, str | int] = field(default_factory=dict)

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
            return str(self.values.get("text", self.code))
        values = dict(self.values)
        words = _fill(translate(template), values)
        for name, suffix in SUFFIXES.items():
            if values.get(name) and "{" + name + "}" not in template:
                words += _fill(translate(suffix), values)
        return words

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "values": dict(self.values)}

    @classmethod
    def from_dict(cls, data: object) -> Problem | None:
        """The problem in ``data``, or None if it does not have the expected shape."""
        if not isinstance(data, Mapping) or not isinstance(data.get("code"), str):
            return None
        values = data.get("values", {})
        if not isinstance(values, Mapping):
            return None
        clean = {
            str(key): value
            for key, value in values.items()
            if isinstance(value, str | int) and not isinstance(value, bool)
        }
        return cls(data["code"], clean)


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with its fields filled; a field without a value stays as written."""
    return template.format_map(_Missing(values))
