"""Sending prompts and streaming the replies: the session's events drawn in the chat log and
the status line.

Each reply streams in a worker of its own conversation's group, so switching conversations
never stops or misdirects a reply: the worker keeps saving to its own conversation and only
draws when that conversation is the one on screen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING

from textual.screen import Screen

from chattui.core.branches import alternatives_of
from chattui.core.models import Conversation, Message, MessageStatus
from chattui.core.services import Services
from chattui.i18n import _, ngettext
from chattui.ui.budget import usage_text
from chattui.ui.main.budget import BudgetMeter
from chattui.ui.main.conversations import summary_of
from chattui.ui.main.drafts import PromptDrafts
from chattui.ui.main.library import Library
from chattui.ui.main.panes import Panes, Shown
from chattui.ui.messages import SettingsRequested
from chattui.ui.render.problems import offers_settings, problem_text

if TYPE_CHECKING:  # the session's modules are imported after the first frame
    from chattui.core.turns import SessionEvent

__all__ = ["Replies"]

STATUS_INTERVAL = 0.2
"""Seconds between status line updates while a reply streams."""
FRAME = 1 / 60
"""The longest the stream holds the event loop: then it lets the screen paint and keys in."""
PAUSE = 0.004
"""A gap this long between two events means the stream waited (for the network): the loop
was free meanwhile, and nothing needs to give way."""
GIVE_WAY_LONGEST = 0.1
"""The longest it waits for the screen (it goes on if no refresh comes, e.g. at exit)."""


class Replies:
    """Sends prompts and streams each reply into the log and the status line."""

    def __init__(
        self,
        screen: Screen[None],
        services: Services,
        shown: Shown,
        panes: Panes,
        drafts: PromptDrafts,
        budget: BudgetMeter,
        library: Library,
    ) -> None:
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._drafts = drafts
        self._budget = budget
        self._library = library
        self._reply_tokens = 0
        self._status_drawn = 0.0

    # -- sending -----------------------------------------------------------------------------

    def submit(self, text: str) -> None:
        """The prompt was sent (Enter): send it now, or queue it behind the reply streaming."""
        conversation = self._shown.conversation
        streaming = self._services.streaming(conversation.id)
        if not streaming and not self.ready_to_send():
            self._panes.prompt.give_back(text)
            return
        editing = self._drafts.take_edit()
        self._drafts.remember(text)
        if streaming:  # sent when the reply ends
            self._drafts.enqueue(conversation, text, editing)
        else:
            self.send(conversation, text, editing)

    def send(self, conversation: Conversation, text: str, editing: Message | None) -> None:
        """Send ``text`` as the next turn (or as an edit of ``editing``: a new branch)."""
        events = self._services.send(conversation, text, instead_of=editing)
        self.start(conversation, events, "send" if editing is None else "branch")

    def ready_to_send(self) -> bool:
        """True if a request can be made now (else the user was told why)."""
        services = self._services
        conversation = self._shown.conversation
        if services.key_pending_for(conversation):
            self._screen.notify(
                _("The API key command is still running: send again when it is done.")
            )
            return False
        if not services.can_send(conversation):
            self._screen.notify(_("Set an API key first (F2)."), severity="warning")
            self._screen.post_message(SettingsRequested())
            return False
        services.connect_if_needed()  # the warm-up may not have built the client yet
        return True

    def retry(self) -> None:
        """Ask again for the last user turn (after an error or a stop)."""
        conversation = self._shown.conversation
        services = self._services
        if self._shown.streaming() or not conversation.messages:
            return
        if not services.can_retry(conversation):
            self._screen.notify(_("The last reply is complete; nothing to retry."))
            return
        if self.ready_to_send():
            events = services.retry(conversation)
            self.start(conversation, events, "again")

    def continue_reply(self) -> None:
        """Ask the model to go on with a stopped, cut short or incomplete last reply."""
        conversation = self._shown.conversation
        services = self._services
        if not services.can_continue(conversation):
            self._screen.notify(_("There is no unfinished reply to continue."))
            return
        if self.ready_to_send():
            events = services.continue_reply(conversation)
            self.start(conversation, events, "again")

    def regenerate(self, reply: Message) -> None:
        """Ask again for ``reply``'s turn: the new reply streams in as an alternative."""
        conversation = self._shown.conversation
        events = self._services.regenerate(conversation, reply)
        self.start(conversation, events, "branch")

    def stop(self) -> None:
        """Stop the reply streaming in the conversation on screen."""
        if self._shown.streaming():
            group = f"reply-{self._shown.conversation.id}"
            self._screen.workers.cancel_group(self._screen, group)

    def start(
        self,
        conversation: Conversation,
        events: AsyncGenerator[SessionEvent, None],
        mode: str,
    ) -> None:
        """Stream ``events`` into ``conversation`` (``mode``: send, again or branch)."""
        self._reply_tokens = 0
        self._panes.status.set_state(_("sending…"), "busy")
        self._screen.run_worker(
            self._stream(conversation, events, mode),
            group=f"reply-{conversation.id}",
            exclusive=True,
            exit_on_error=False,
            name=conversation.id,
        )

    async def _stream(
        self,
        conversation: Conversation,
        events: AsyncGenerator[SessionEvent, None],
        mode: str,
    ) -> None:
        """Map session events to the chat log and the status line (the worker's body)."""
        from chattui.core.events import TextDelta
        from chattui.core.turns import (
            ContextTrimmed,
            RepliesDropped,
            ReplyFinished,
            ReplyStarted,
            SaveFailed,
        )

        log = self._panes.log
        reply: Message | None = None
        started = given_way = previous = time.monotonic()
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    now = time.monotonic()
                    if now - previous >= PAUSE:
                        given_way = now  # the stream waited: the loop was free meanwhile
                    elif now - given_way >= FRAME:
                        await self._give_way()
                        given_way = now = time.monotonic()
                    previous = now
                    visible = self._shown.is_shown(conversation)
                    if isinstance(event, ReplyStarted):
                        reply = event.message
                        self._started(conversation, reply, mode)
                    elif isinstance(event, TextDelta) and reply is not None:
                        self._delta(conversation, reply, event.text, started)
                    elif isinstance(event, ReplyFinished):
                        if reply is None:  # refused before sending (e.g. prompt too long)
                            self._started(conversation, event.message, mode)
                        reply = event.message
                    elif isinstance(event, RepliesDropped) and visible:
                        for message_id in event.message_ids:
                            log.remove_message(message_id)
                    elif isinstance(event, ContextTrimmed) and visible:
                        log.add_notice(
                            ngettext(
                                "{count} earlier message not sent",
                                "{count} earlier messages not sent",
                                event.dropped,
                            )
                        )
                    elif isinstance(event, SaveFailed):
                        self._screen.notify(
                            problem_text(event.problem), severity="error", markup=False, timeout=10
                        )
        finally:
            if not self._services.is_deleted(conversation.id):
                self._finish(conversation, reply)

    async def _give_way(self) -> None:
        """Let the screen paint and handle keys before the stream goes on.

        A reply already in the socket (a burst, or a slow machine catching up) is read
        without the loop ever waiting, so nothing was painted, keys included, until all of
        it was read. ``sleep(0)`` is not enough: a frame takes several turns of the loop (a
        timer, the widget's queue, the screen's update). This waits until the screen has
        processed what is pending and painted, as Textual's ``wait_for_refresh`` does.
        """
        refreshed = asyncio.Event()
        if self._panes.log.call_after_refresh(refreshed.set):
            with suppress(TimeoutError):
                await asyncio.wait_for(refreshed.wait(), GIVE_WAY_LONGEST)

    def _started(self, conversation: Conversation, reply: Message, mode: str) -> None:
        sidebar = self._panes.sidebar
        visible = self._shown.is_shown(conversation)
        if visible:
            sidebar.set_current(conversation.id)
        sidebar.upsert(summary_of(conversation))
        if not visible:
            return
        log = self._panes.log
        had_cursor = log.cursor is not None
        branch = conversation.branch()
        if mode == "branch":  # regenerated or edited: the branch on screen changed
            log.set_conversation(
                branch[:-1], conversation.system_prompt, alternatives=alternatives_of(conversation)
            )
        elif mode == "send" and len(branch) > 1:
            log.add_message(branch[-2])
        else:
            log.remove_message(reply.id)  # continuing it: shown again, live
        log.add_message(reply, alternatives_of(conversation).get(reply.id))
        if mode == "branch" and (had_cursor or log.has_focus):
            log.set_cursor(reply.id)  # the cursor stays on the turn it acted on, visible
        log.scroll_to_latest()
        self._panes.status.set_state(_("waiting for the reply…"), "busy")
        self._budget.update()  # the turn just sent is history now

    def _delta(self, conversation: Conversation, reply: Message, text: str, started: float) -> None:
        self._reply_tokens += 1
        if not self._shown.is_shown(conversation):
            return
        self._panes.log.append_text(reply.id, text)
        now = time.monotonic()
        if now - self._status_drawn >= STATUS_INTERVAL:
            # The status line is redrawn a few times a second, not per delta: per-delta
            # updates cost more than rendering the reply itself.
            self._status_drawn = now
            status = self._panes.status
            status.set_state(_("streaming…"), "busy")
            chunks = self._reply_tokens
            status.set_tokens(ngettext("{n} chunk", "{n} chunks", chunks, n=chunks))

    def _send_queued(self, conversation: Conversation, reply: Message) -> None:
        """Send the next prompt queued while ``reply`` streamed (if it completed)."""
        if reply.status is not MessageStatus.COMPLETE:
            self._drafts.return_queue(conversation)
            return
        queued = self._drafts.take_queued(conversation)
        if queued is not None:
            text, editing = queued
            self._screen.call_later(self.send, conversation, text, editing)

    def _finish(self, conversation: Conversation, reply: Message | None) -> None:
        self._panes.sidebar.upsert(summary_of(conversation))
        self._library.after_reply(conversation, reply)
        if not self._shown.is_shown(conversation):
            if reply is not None:
                self._send_queued(conversation, reply)
                if reply.status is MessageStatus.ERROR:
                    self._screen.notify(
                        _("A reply in “{title}” failed.", title=conversation.title),
                        severity="warning",
                        markup=False,
                    )
            return
        status = self._panes.status
        if reply is None:
            status.set_state(_("ready"))
            return
        self._send_queued(conversation, reply)
        self._panes.log.update_message(reply)
        if reply.status is MessageStatus.ERROR:
            status.set_state(_("error: Ctrl+R retries"), "error")
            self._offer_fix(reply)
        elif reply.status is MessageStatus.STOPPED:
            status.set_state(_("stopped"))
        else:
            status.set_state(_("ready"))
        status.set_tokens(self._usage(conversation, reply))
        self._budget.update()

    def _usage(self, conversation: Conversation, reply: Message) -> str:
        """The reply's tokens and cost, and the conversation's, for the status line."""
        if reply.usage is None:
            return ""
        from chattui.core.catalog import estimate_cost

        usage = reply.usage
        model_info = self._services.model_info
        info = model_info(reply.model or self._shown.settings.model)
        cost = estimate_cost(info, usage.prompt_tokens, usage.completion_tokens)
        from chattui.core.costs import conversation_cost

        total = conversation_cost(conversation, model_info)
        return usage_text(usage.prompt_tokens, usage.completion_tokens, cost, total)

    def usage_label(self, message: Message) -> str:
        """``↑12 ↓188 tokens · $0.0001`` for a reply's header."""
        if message.usage is None:
            return ""
        from chattui.core.catalog import estimate_cost

        usage = message.usage
        info = self._services.model_info(message.model or self._shown.settings.model)
        cost = estimate_cost(info, usage.prompt_tokens, usage.completion_tokens)
        return usage_text(usage.prompt_tokens, usage.completion_tokens, cost, None)

    def _offer_fix(self, reply: Message) -> None:
        """For a problem fixed in the settings (a rejected key...), offer to open them."""
        problem = reply.problem
        screen = self._screen
        if problem is None or not offers_settings(problem) or screen.app.screen is not screen:
            return

        def chosen(open_settings: bool | None) -> None:
            if open_settings:
                screen.post_message(SettingsRequested())

        from chattui.ui.screens.dialogs import ProblemScreen

        screen.app.push_screen(ProblemScreen(problem_text(problem), _("Open settings")), chosen)
