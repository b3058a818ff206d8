"""The "send a message" use case: persist, build the request, stream, checkpoint, save.

The UI worker only maps the events this yields to widgets. The user turn is on disk before the
request leaves; the partial reply is checkpointed at least every ``checkpoint_interval``
seconds; the final reply is saved with its status (complete, stopped or error) and usage.
Cancelling the consumer (the Stop key) marks the reply stopped and saves it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Protocol

from chattui.core.chatparams import conversation_settings
from chattui.core.config import Settings
from chattui.core.events import (
    ChatError,
    ChatRequest,
    ErrorKind,
    Finished,
    StreamEvent,
    TextDelta,
    UsageReport,
)
from chattui.core.models import Conversation, Message, MessageStatus, Role, TitleSource
from chattui.core.problems import Problem
from chattui.core.sanitize import sanitize_line
from chattui.core.storage import ConversationStore, StorageError

__all__ = [
    "CONTINUE_PROMPT",
    "ChatSession",
    "ContextTrimmed",
    "ReplyFinished",
    "ReplyStarted",
    "SaveFailed",
    "SessionEvent",
    "StreamingClient",
    "build_messages",
    "can_continue",
    "retry_drops",
]

TITLE_LIMIT = 60
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

    error: str


@dataclass(frozen=True)
class ReplyFinished:
    """The reply ended; ``message.status`` says how (complete, stopped or error)."""

    message: Message


SessionEvent = (
    ReplyStarted | TextDelta | UsageReport | Finished | ContextTrimmed | SaveFailed | ReplyFinished
)

RequestBuilder = Callable[[Conversation, Settings], tuple[ChatRequest, int]]
"""Builds the request for a conversation; returns it and how many messages were left out."""


def build_messages(conversation: Conversation) -> list[dict[str, str]]:
    """System prompt + the turns of the branch on screen worth sending (failed and empty
    replies are left out)."""
    messages: list[dict[str, str]] = []
    if conversation.system_prompt.strip():
        messages.append({"role": "system", "content": conversation.system_prompt})
    for message in conversation.branch():
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


def simple_request(conversation: Conversation, settings: Settings) -> tuple[ChatRequest, int]:
    """A request carrying the whole history, with no trimming."""
    messages = build_messages(conversation)
    if messages and messages[-1]["role"] == "assistant":
        messages.append({"role": "user", "content": CONTINUE_PROMPT})
    return (
        ChatRequest(
            model=conversation.model or settings.model,
            messages=messages,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            reasoning_effort=settings.reasoning_effort,
        ),
        0,
    )


class ChatSession:
    """Runs turns of conversations against a client and keeps them on disk.

    Args:
        store: Where conversations are saved.
        client: The client to stream from; replace it (``session.client = ...``) when the
            settings change.
        build_request: Builds the request (the token-aware builder trims to the window).
        checkpoint_interval: Longest time, in seconds, that streamed text may stay unsaved.
    """

    def __init__(
        self,
        store: ConversationStore,
        client: StreamingClient | None,
        build_request: RequestBuilder = simple_request,
        checkpoint_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.client = client
        self.client_for: Callable[[Conversation], StreamingClient | None] | None = None
        """When set, picks the client per conversation (endpoint profiles); else ``client``."""
        self.build_request = build_request
        self.checkpoint_interval = checkpoint_interval

    async def send(
        self,
        conversation: Conversation,
        text: str,
        settings: Settings,
        *,
        instead_of: Message | None = None,
    ) -> AsyncGenerator[SessionEvent, None]:
        """Add ``text`` as a user turn, save, and stream the reply (see :meth:`reply`).

        ``instead_of``: an earlier user message that ``text`` edits. The new turn becomes its
        sibling (a new branch from that point); the old branch is kept.
        """
        if not conversation.title:
            conversation.title = sanitize_line(text, TITLE_LIMIT)
            conversation.title_source = TitleSource.PROMPT
        if instead_of is not None:
            conversation.current_leaf = instead_of.parent_id
        conversation.add(
            Message(Role.USER, text), root=instead_of is not None and instead_of.parent_id is None
        )
        failed = self._save(conversation)
        if failed:
            yield failed
        async for event in self.reply(conversation, settings):
            yield event

    async def retry(
        self, conversation: Conversation, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        """Drop a trailing failed or stopped reply and ask again for the last user turn."""
        for message in reversed(retry_drops(conversation)):
            conversation.messages.remove(message)
            conversation.current_leaf = message.parent_id
        async for event in self.reply(conversation, settings):
            yield event

    async def regenerate(
        self, conversation: Conversation, reply: Message, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        """Ask again for the prompt that ``reply`` answered; the new reply becomes an
        alternative of ``reply``, which is kept. Later turns stay on the old branch."""
        if reply.role is not Role.ASSISTANT or reply.parent_id is None:
            return
        conversation.current_leaf = reply.parent_id
        async for event in self.reply(conversation, settings):
            yield event

    async def continue_reply(
        self, conversation: Conversation, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        """Ask the model to go on with the last reply (stopped, cut short or incomplete); what
        it sends is appended to that same reply. Does nothing if there is no such reply."""
        branch = conversation.branch()
        last = branch[-1] if branch else None
        if last is None or not can_continue(last):
            return
        last.status = MessageStatus.STREAMING
        last.error = None
        last.problem = None
        async for event in self.reply(conversation, settings, into=last):
            yield event

    async def reply(
        self, conversation: Conversation, settings: Settings, into: Message | None = None
    ) -> AsyncGenerator[SessionEvent, None]:
        """Stream an assistant reply to the conversation as it stands (into the existing
        message ``into`` when continuing it).

        The conversation's own model and parameters apply over ``settings``; the reply records
        the model the request named.

        Never raises for network or disk trouble: failures end in :class:`ReplyFinished` with
        status ``error`` (or :class:`SaveFailed`). Cancellation marks the reply stopped.
        """
        settings = conversation_settings(conversation, settings)
        assistant = into or Message(
            Role.ASSISTANT, "", status=MessageStatus.STREAMING, model=settings.model
        )
        try:
            request, dropped = self.build_request(conversation, settings)
            assistant.model = request.model
        except ChatError as error:
            assistant.status = MessageStatus.ERROR
            _note(assistant, error.problem)
            if into is None:
                conversation.add(assistant)
            self._save(conversation)
            yield ReplyFinished(assistant)
            return
        if dropped:
            yield ContextTrimmed(dropped)
        if into is None:
            conversation.add(assistant)
        failed = self._save(conversation)
        yield ReplyStarted(assistant)
        if failed:
            yield failed
        try:
            async with aclosing(self._stream(conversation, assistant, request)) as events:
                async for event in events:
                    yield event
        except BaseException:
            # Cancelled (Stop key, app closing) or the consumer went away: keep what came.
            if assistant.status is MessageStatus.STREAMING:
                assistant.status = MessageStatus.STOPPED
            self._save(conversation)
            raise
        failed = self._save(conversation)
        if failed:
            yield failed
        yield ReplyFinished(assistant)

    async def _stream(
        self, conversation: Conversation, assistant: Message, request: ChatRequest
    ) -> AsyncGenerator[SessionEvent, None]:
        client = self.client_for(conversation) if self.client_for else self.client
        if client is None:
            assistant.status = MessageStatus.ERROR
            _note(assistant, ChatError(ErrorKind.NO_KEY).problem)
            return
        last_save = time.monotonic()
        # Deltas collect in a list: growing one string per delta would cost quadratic time.
        parts: list[str] = [assistant.content]
        try:
            async with aclosing(client.stream(request)) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        parts.append(event.text)
                        now = time.monotonic()
                        if now - last_save >= self.checkpoint_interval:
                            last_save = now
                            assistant.content = "".join(parts)
                            failed = self._save(conversation)
                            if failed:
                                yield failed
                    elif isinstance(event, UsageReport):
                        assistant.usage = event.usage
                    elif isinstance(event, Finished):
                        assistant.status = MessageStatus.COMPLETE
                        if event.reason not in ("stop", "tool_calls", "function_call"):
                            _note(assistant, _finish_note(event.reason))
                    yield event
        except ChatError as error:
            assistant.status = MessageStatus.ERROR
            _note(assistant, error.problem)
        finally:
            assistant.content = "".join(parts)
        if assistant.status is MessageStatus.STREAMING:
            assistant.status = MessageStatus.COMPLETE

    def _save(self, conversation: Conversation) -> SaveFailed | None:
        try:
            self.store.save(conversation)
        except StorageError as error:
            return SaveFailed(str(error))
        return None


def _note(message: Message, problem: Problem) -> None:
    """Record ``problem`` on ``message``: as data, and in English for the file's readers."""
    message.problem = problem
    message.error = problem.text()


def _finish_note(reason: str) -> Problem:
    if reason in ("length", "content_filter"):
        return Problem(f"note.{reason}")
    return Problem("note.finish", {"reason": sanitize_line(reason, 40)})
