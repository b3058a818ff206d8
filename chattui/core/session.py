"""The "send a message" use case: persist, build the request, stream, checkpoint, save.

The UI worker only maps the events this yields to widgets. The user turn is on disk before the
request leaves; the partial reply is checkpointed at least every ``checkpoint_interval``
seconds; the final reply is saved with its status (complete, stopped or error) and usage.
Cancelling the consumer (the Stop key) marks the reply stopped and saves it.

Every save runs in the :class:`~chattui.core.saver.Saver`'s thread: the event loop only takes a
snapshot. The user turn and the final reply are awaited; checkpoints are not (they coalesce).

The session is the one owner of what streams: which conversations have a reply running
(:meth:`ChatSession.streaming`), the reply's text so far (:class:`LiveReply`), and the rules of
retry and continue; the UI reads them and shows the events. The events and the rules that pick
a request's messages are in :mod:`chattui.core.turns`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Future
from contextlib import aclosing
from dataclasses import dataclass, field

from chattui.core.chatparams import conversation_settings
from chattui.core.config import Settings
from chattui.core.events import (
    ChatError,
    ChatRequest,
    ErrorKind,
    Finished,
    TextDelta,
    UsageReport,
)
from chattui.core.models import Conversation, Message, MessageStatus, Role, TitleSource
from chattui.core.problems import Problem
from chattui.core.sanitize import sanitize_line
from chattui.core.saver import Saver, report_failure
from chattui.core.storage import ConversationStore, StorageError
from chattui.core.turns import (
    ContextTrimmed,
    RepliesDropped,
    ReplyFinished,
    ReplyStarted,
    RequestBuilder,
    SaveFailed,
    SessionEvent,
    StreamingClient,
    can_continue,
    retry_drops,
)

__all__ = ["ChatSession", "LiveReply"]

TITLE_LIMIT = 60


@dataclass(eq=False)
class LiveReply:
    """A turn running in a conversation: the reply's text as it streams (the session is its
    only writer; the message's ``content`` is brought up to date at checkpoints and the end,
    or on demand with :meth:`sync`)."""

    conversation: Conversation
    message: Message | None = None
    """The reply, once it exists (see :class:`ReplyStarted`)."""
    parts: list[str] = field(default_factory=list)
    task: asyncio.Task[object] | None = None
    """The task consuming the events (cancelled to stop the turn)."""

    def text(self) -> str:
        """The reply's text so far."""
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]  # joined once, not per call
        return self.parts[0] if self.parts else ""

    def sync(self) -> Message | None:
        """Bring the reply's ``content`` up to date with the streamed text; return it."""
        if self.message is not None and self.parts:
            self.message.content = self.text()
        return self.message


class ChatSession:
    """Runs turns of conversations against a client and keeps them on disk.

    Args:
        store: Where conversations are saved.
        client: The client to stream from; replace it (``session.client = ...``) when the
            settings change.
        build_request: Builds the request: the production one,
            :meth:`chattui.core.planner.RequestPlanner.build`, which trims to the window (tests
            pass it too, so they exercise the request users send).
        checkpoint_interval: Longest time, in seconds, that streamed text may stay unsaved.
    """

    def __init__(
        self,
        store: ConversationStore,
        client: StreamingClient | None,
        build_request: RequestBuilder,
        checkpoint_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.saver = Saver(store)
        self.client = client
        self.client_for: Callable[[Conversation], StreamingClient | None] | None = None
        """When set, picks the client per conversation (endpoint profiles); else ``client``."""
        self.build_request = build_request
        self.checkpoint_interval = checkpoint_interval
        self._live: dict[str, LiveReply] = {}
        """The turn running in each conversation, by conversation id."""

    # -- what streams ------------------------------------------------------------------------

    def streaming(self, conversation_id: str) -> bool:
        """Whether a turn is running in the conversation (from the call that started it)."""
        return conversation_id in self._live

    def live_conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation in memory while a turn runs in it (always used over the file)."""
        live = self._live.get(conversation_id)
        return live.conversation if live is not None else None

    def live_reply(self, conversation_id: str) -> LiveReply | None:
        """The turn running in the conversation, with the reply's text so far."""
        return self._live.get(conversation_id)

    def live_text(self, message_id: str) -> str | None:
        """The text so far of reply ``message_id`` if it is streaming, else None."""
        for live in self._live.values():
            if live.message is not None and live.message.id == message_id:
                return live.text()
        return None

    # -- rules -------------------------------------------------------------------------------

    def can_retry(self, conversation: Conversation) -> bool:
        """Whether :meth:`retry` has something to ask again for: the branch does not end in a
        complete reply (it ends in a failed or stopped one, or in a prompt with no reply)."""
        branch = conversation.branch()
        if not branch or self.streaming(conversation.id):
            return False
        last = branch[-1]
        return not (last.role is Role.ASSISTANT and last.status is MessageStatus.COMPLETE)

    def can_continue(self, conversation: Conversation) -> bool:
        """Whether :meth:`continue_reply` has a reply to go on with."""
        branch = conversation.branch()
        return bool(branch) and not self.streaming(conversation.id) and can_continue(branch[-1])

    # -- turns -------------------------------------------------------------------------------

    def send(
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

        The conversation counts as streaming from this call on (see :meth:`streaming`).
        """
        live = self._claim(conversation)
        return self._turn(live, self._send(live, text, settings, instead_of))

    def retry(
        self, conversation: Conversation, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        """Drop a trailing failed or stopped reply (:class:`RepliesDropped`) and ask again for
        the last user turn."""
        live = self._claim(conversation)
        return self._turn(live, self._retry(live, settings))

    def regenerate(
        self, conversation: Conversation, reply: Message, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        """Ask again for the prompt that ``reply`` answered; the new reply becomes an
        alternative of ``reply``, which is kept. Later turns stay on the old branch."""
        live = self._claim(conversation)
        return self._turn(live, self._regenerate(live, reply, settings))

    def continue_reply(
        self, conversation: Conversation, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        """Ask the model to go on with the last reply (stopped, cut short or incomplete); what
        it sends is appended to that same reply. Does nothing if there is no such reply."""
        live = self._claim(conversation)
        return self._turn(live, self._continue(live, settings))

    def reply(
        self, conversation: Conversation, settings: Settings, into: Message | None = None
    ) -> AsyncGenerator[SessionEvent, None]:
        """Stream an assistant reply to the conversation as it stands (into the existing
        message ``into`` when continuing it).

        The conversation's own model and parameters apply over ``settings``; the reply records
        the model the request named.

        Never raises for network or disk trouble: failures end in :class:`ReplyFinished` with
        status ``error`` (or :class:`SaveFailed`). Cancellation marks the reply stopped.
        """
        live = self._claim(conversation)
        return self._turn(live, self._reply(live, settings, into))

    def _claim(self, conversation: Conversation) -> LiveReply:
        live = LiveReply(conversation)
        self._live[conversation.id] = live
        return live

    def _release(self, live: LiveReply) -> None:
        if self._live.get(live.conversation.id) is live:
            del self._live[live.conversation.id]

    def _turn(
        self, live: LiveReply, body: AsyncGenerator[SessionEvent, None]
    ) -> AsyncGenerator[SessionEvent, None]:
        events = self._run_turn(live, body)
        # A turn whose events are never consumed runs no ``finally``: release it when dropped.
        weakref.finalize(events, self._release, live)
        return events

    async def _run_turn(
        self, live: LiveReply, body: AsyncGenerator[SessionEvent, None]
    ) -> AsyncGenerator[SessionEvent, None]:
        try:
            live.task = asyncio.current_task()
            async with aclosing(body) as events:
                async for event in events:
                    yield event
        finally:
            self._release(live)

    async def _send(
        self, live: LiveReply, text: str, settings: Settings, instead_of: Message | None
    ) -> AsyncGenerator[SessionEvent, None]:
        conversation = live.conversation
        if not conversation.title:
            conversation.title = sanitize_line(text, TITLE_LIMIT)
            conversation.title_source = TitleSource.PROMPT
        if instead_of is not None:
            conversation.current_leaf = instead_of.parent_id
        conversation.add(
            Message(Role.USER, text), root=instead_of is not None and instead_of.parent_id is None
        )
        # Saved with the empty reply, on disk before the request leaves (see _reply).
        async for event in self._reply(live, settings, None):
            yield event

    async def _retry(
        self, live: LiveReply, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        conversation = live.conversation
        drops = retry_drops(conversation)
        for message in reversed(drops):
            conversation.messages.remove(message)
            conversation.current_leaf = message.parent_id
        if drops:
            yield RepliesDropped(tuple(message.id for message in drops))
        async for event in self._reply(live, settings, None):
            yield event

    async def _regenerate(
        self, live: LiveReply, reply: Message, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        if reply.role is not Role.ASSISTANT or reply.parent_id is None:
            return
        live.conversation.current_leaf = reply.parent_id
        async for event in self._reply(live, settings, None):
            yield event

    async def _continue(
        self, live: LiveReply, settings: Settings
    ) -> AsyncGenerator[SessionEvent, None]:
        branch = live.conversation.branch()
        last = branch[-1] if branch else None
        if last is None or not can_continue(last):
            return
        last.status = MessageStatus.STREAMING
        last.error = None
        last.problem = None
        async for event in self._reply(live, settings, last):
            yield event

    async def _reply(
        self, live: LiveReply, settings: Settings, into: Message | None
    ) -> AsyncGenerator[SessionEvent, None]:
        conversation = live.conversation
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
            failed = await self._saved(self.saver.save(conversation))
            if failed:
                yield failed
            yield ReplyFinished(assistant)
            return
        if dropped:
            yield ContextTrimmed(dropped)
        if into is None:
            conversation.add(assistant)
        live.parts = [assistant.content]
        live.message = assistant
        pending: list[Future[int]] = []
        try:
            failed = await self._saved(self.saver.save(conversation))  # before the request
            yield ReplyStarted(assistant)
            if failed:
                yield failed
            async with aclosing(self._stream(live, request, pending)) as events:
                async for event in events:
                    yield event
                    for failed in _failures(pending):
                        yield failed
        except BaseException:
            # Cancelled (Stop key, app closing) or the consumer went away: keep what came.
            if assistant.status is MessageStatus.STREAMING:
                assistant.status = MessageStatus.STOPPED
            live.sync()
            last = self.saver.save(conversation)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wrap_future(last)  # on disk before the stop is over
            raise
        live.sync()
        final = self.saver.save(conversation)
        for failed in _failures(pending):
            yield failed
        failed = await self._saved(final)
        if failed:
            yield failed
        yield ReplyFinished(assistant)

    async def _stream(
        self, live: LiveReply, request: ChatRequest, pending: list[Future[int]]
    ) -> AsyncGenerator[SessionEvent, None]:
        conversation = live.conversation
        assistant = live.message
        assert assistant is not None
        client = self.client_for(conversation) if self.client_for else self.client
        if client is None:
            assistant.status = MessageStatus.ERROR
            _note(assistant, ChatError(ErrorKind.NO_KEY).problem)
            return
        last_save = time.monotonic()
        # Deltas collect in a list: growing one string per delta would cost quadratic time.
        parts = live.parts
        try:
            async with aclosing(client.stream(request)) as stream:
                async for event in stream:
                    if isinstance(event, TextDelta):
                        parts.append(event.text)
                        now = time.monotonic()
                        if now - last_save >= self.checkpoint_interval:
                            last_save = now
                            live.sync()
                            pending.append(self.saver.save(conversation))
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
            live.sync()
        if assistant.status is MessageStatus.STREAMING:
            assistant.status = MessageStatus.COMPLETE

    # -- saving and deleting -------------------------------------------------------------------

    async def _saved(self, future: Future[int]) -> SaveFailed | None:
        """Wait (without blocking the loop) for a queued save; its failure as an event."""
        try:
            await asyncio.wrap_future(future)
        except StorageError as error:
            return SaveFailed(error.problem)
        return None

    def save_soon(
        self, conversation: Conversation, on_failed: Callable[[Problem], object] | None = None
    ) -> Future[int]:
        """Save ``conversation`` in the background, after the saves queued before;
        ``on_failed`` gets the problem on the calling loop if that fails."""
        return report_failure(self.saver.save(conversation), on_failed)

    def delete(
        self,
        conversation_id: str,
        *,
        keep_out: bool = True,
        on_failed: Callable[[Problem], object] | None = None,
    ) -> Future[int]:
        """Delete a conversation (after the saves queued before). With ``keep_out``, a turn
        still running in it is stopped and nothing of it is written back: the file stays
        gone. Without (its last turn was deleted, it is still on screen), a new turn saves it
        again. ``on_failed`` gets the problem on the calling loop if that fails."""
        if keep_out:
            self.store.keep_out(conversation_id)  # from now on, not when the thread gets to it
            live = self._live.get(conversation_id)
            if live is not None and live.task is not None and not live.task.done():
                live.task.cancel()
        return report_failure(self.saver.delete(conversation_id, keep_out=keep_out), on_failed)

    def close(self, timeout: float = 10.0) -> bool:
        """Stop every running turn as the Stop key would (its reply saved as stopped) and wait
        for every queued save; False if ``timeout`` passed first. For the app's exit, where
        the tasks consuming the turns may never run again."""
        for live in list(self._live.values()):
            message = live.sync()
            if message is None:
                continue
            if message.status is MessageStatus.STREAMING:
                message.status = MessageStatus.STOPPED
            self.saver.save(live.conversation)
        return self.saver.flush(timeout)


def _failures(pending: list[Future[int]]) -> list[SaveFailed]:
    """The failures among the finished saves in ``pending`` (removed from it), one per
    message in a row."""
    failures: list[SaveFailed] = []
    while pending and pending[0].done():
        error = pending.pop(0).exception()
        if isinstance(error, StorageError):
            event = SaveFailed(error.problem)
            if not failures or failures[-1] != event:
                failures.append(event)
    return failures


def _note(message: Message, problem: Problem) -> None:
    """Record ``problem`` on ``message``: as data, and in English for the file's readers."""
    message.problem = problem
    message.error = problem.text()


def _finish_note(reason: str) -> Problem:
    if reason in ("length", "content_filter"):
        return Problem(f"note.{reason}")
    return Problem("note.finish", {"reason": sanitize_line(reason, 40)})
