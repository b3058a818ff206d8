"""What a turn is made of: the events a turn yields to the UI, what it needs of a client,
and the rules that pick the messages a request carries (which replies are left out, which a
retry replaces, which can be continued).

:class:`~chattui.core.session.ChatSession` runs the turns; these are its vocabulary, free of
its state (the planner and the title generator use them too).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Protocol

from chattui.core.config import Settings
from chattui.core.events import ChatRequest, Finished, StreamEvent, TextDelta, UsageReport
from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.core.problems import Problem

__all__ = [
    "CONTINUE_PROMPT",
    "ContextTrimmed",
    "RepliesDropped",
    "ReplyFinished",
    "ReplyStarted",
    "RequestBuilder",
    "SaveFailed",
    "SessionEvent",
    "StreamingClient",
    "build_messages",
    "can_continue",
    "retry_drops",
]

CONTINUE_PROMPT = "Continue exactly where your last message stopped. Do not repeat anything."
"""Sent (not saved) after a partial reply when the user asks the model to continue it."""


class StreamingClient(Protocol):
    """What the session needs of a client (the real one is :class:`core.client.ChatClient`)."""

    def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]: ...


@dataclass(frozen=True)
class ReplyStarted:
    """The assistant message has been created (empty, status streaming) and saved."""

    message: Message


@dataclass(frozen=True)
class ContextTrimmed:
    """``dropped`` older messages were left out of the request to fit the context window."""

    dropped: int


@dataclass(frozen=True)
class SaveFailed:
    """Writing the conversation failed; the text is still in memory."""

    problem: Problem

    @property
    def error(self) -> str:
        """The failure in English (logs, tests)."""
        return self.problem.text()


@dataclass(frozen=True)
class ReplyFinished:
    """The reply ended; ``message.status`` says how (complete, stopped or error)."""

    message: Message


@dataclass(frozen=True)
class RepliesDropped:
    """A retry removed these unfinished replies (ids) from the end of the branch."""

    message_ids: tuple[str, ...]


SessionEvent = (
    ReplyStarted
    | TextDelta
    | UsageReport
    | Finished
    | ContextTrimmed
    | SaveFailed
    | ReplyFinished
    | RepliesDropped
)

RequestBuilder = Callable[[Conversation, Settings], tuple[ChatRequest, int]]
"""Builds the request for a conversation; returns it and how many messages were left out."""


def build_messages(
    conversation: Conversation, before: Message | None = None
) -> list[dict[str, str]]:
    """System prompt + the turns of the branch on screen worth sending (failed and empty
    replies are left out); with ``before`` (a prompt being edited), only the turns before it,
    as an edit sends them."""
    messages: list[dict[str, str]] = []
    if conversation.system_prompt.strip():
        messages.append({"role": "system", "content": conversation.system_prompt})
    branch = conversation.branch() if before is None else conversation.path_to(before.parent_id)
    for message in branch:
        if message.role is Role.SYSTEM:
            continue
        if message.role is Role.ASSISTANT and (
            message.status is MessageStatus.ERROR or not message.content
        ):
            continue
        messages.append({"role": message.role.value, "content": message.content})
    return messages


def retry_drops(conversation: Conversation) -> list[Message]:
    """The unfinished replies at the end of the branch that a retry replaces (last first)."""
    drops: list[Message] = []
    for message in reversed(conversation.branch()):
        if message.role is not Role.ASSISTANT or message.status is MessageStatus.COMPLETE:
            break
        if conversation.children(message.id):
            break  # something follows it: keep it
        drops.append(message)
    return drops


def can_continue(message: Message) -> bool:
    """Whether ``message`` is a reply the model can be asked to go on with."""
    return (
        message.role is Role.ASSISTANT
        and bool(message.content)
        and (message.status is not MessageStatus.COMPLETE or message.error is not None)
    )
