"""Typed stream events and errors shared by the client, the session and the UI.

Kept apart from :mod:`chattui.core.client` so that importing them does not import ``openai``
(the UI shows its first frame before that ~0.7 s import happens).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from chattui.core.models import Usage
from chattui.core.sanitize import clean_surrogates

__all__ = [
    "ChatError",
    "ChatRequest",
    "ErrorKind",
    "Finished",
    "StreamEvent",
    "TextDelta",
    "UsageReport",
]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply's text."""

    text: str


@dataclass(frozen=True)
class UsageReport:
    """Token usage for the reply, as the server counted it."""

    usage: Usage


@dataclass(frozen=True)
class Finished:
    """The server ended the reply with ``reason`` (stop, length, content_filter...)."""

    reason: str


StreamEvent = TextDelta | UsageReport | Finished


class ErrorKind(str, Enum):
    """What went wrong, for the UI to pick an icon or an action."""

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


class ChatError(Exception):
    """A failure with a message meant for the user (already sanitized, never holding the key).

    Attributes:
        kind: The category of failure.
        message: One or two sentences saying what happened and what to do.
        status: The HTTP status, if the server answered.
    """

    def __init__(self, kind: ErrorKind, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"ChatError({self.kind.value!r}, {self.message!r})"


@dataclass(frozen=True)
class ChatRequest:
    """Everything one chat completion request carries."""

    model: str
    messages: Sequence[Mapping[str, str]]
    max_tokens: int | None = None
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """``max_tokens`` or ``max_completion_tokens``, depending on the endpoint and model."""
    temperature: float | None = None
    reasoning_effort: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def body(self, stream: bool = True) -> dict[str, Any]:
        """The JSON body (without the key), as sent to ``/chat/completions``."""
        body: dict[str, Any] = {
            "model": self.model,
            # Lone surrogates (e.g. from a non-UTF-8 environment) would make the body
            # impossible to encode as UTF-8: every send would fail.
            "messages": [
                {key: clean_surrogates(value) for key, value in message.items()}
                for message in self.messages
            ],
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if self.max_tokens is not None:
            body[self.max_tokens_param] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.reasoning_effort:
            body["reasoning_effort"] = self.reasoning_effort
        body.update(self.extra)
        return body
