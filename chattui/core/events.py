"""Typed stream events and errors shared by the client, the session and the UI.

Kept apart from :mod:`chattui.core.client` so that importing them does not import ``openai``
(the UI shows its first frame before that ~0.7 s import happens).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chattui.core.models import Usage
from chattui.core.problems import TEMPLATES, ErrorKind, Problem
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


class ChatError(Exception):
    """A failure, as data: a kind, a variant and values (see :mod:`chattui.core.problems`).

    The values are already sanitized and never hold the key. Front ends word the error with
    ``error.problem.text(_)``; :attr:`message` is the English wording (logs, tests).

    Attributes:
        kind: The category of failure.
        variant: Which template of that kind (empty for the kind's main one).
        values: The template's values (with ``status`` when there is one).
        status: The HTTP status, if the server answered.
    """

    def __init__(
        self,
        kind: ErrorKind,
        variant: str = "",
        *,
        status: int | None = None,
        values: Mapping[str, str | int] | None = None,
        **more: str | int,
    ) -> None:
        self.kind = kind
        self.variant = variant
        self.status = status
        self.values: dict[str, str | int] = {**(values or {}), **more}
        if status is not None:
            self.values["status"] = status
        if self.problem.code not in TEMPLATES:  # e.g. a sentence passed where a variant goes
            raise ValueError(f"no words for the error code {self.problem.code!r}")
        super().__init__(self.message)

    @property
    def problem(self) -> Problem:
        code = f"{self.kind.value}.{self.variant}" if self.variant else self.kind.value
        return Problem(code, self.values)

    @property
    def message(self) -> str:
        """The error in English."""
        return self.problem.text()

    def __repr__(self) -> str:
        return f"ChatError({self.problem.code!r}, {self.message!r})"


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
