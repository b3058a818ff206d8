"""Sending prompts and streaming the replies: the session's events drawn in the chat log and
the status line.

Each reply streams in a worker of its own conversation's group, so switching conversations
never stops or misdirects a reply: the worker keeps saving to its own conversation and only
draws when that conversation is the one on screen.

The base of :class:`~chattui.ui.screens.main.MainScreen`, which lays the screen out.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.worker import Worker, WorkerState

from chattui.core.models import Conversation, Message, MessageStatus
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.budget import conversation_cost, usage_text
from chattui.ui.messages import SettingsRequested
from chattui.ui.render.problems import offers_settings, problem_text
from chattui.ui.screens.actions import alternatives_of
from chattui.ui.screens.budgeting import BudgetScreen
from chattui.ui.screens.conversations import summary_of
from chattui.ui.screens.library import LibraryScreen
from chattui.ui.screens.prompting import PromptScreen
from chattui.ui.widgets.prompt import PromptInput

if TYPE_CHECKING:  # the session's modules are imported after the first frame
    from chattui.core.turns import SessionEvent

__all__ = ["ReplyScreen"]

STATUS_INTERVAL = 0.2
"""Seconds between status line updates while a reply streams."""


class ReplyScreen(BudgetScreen, PromptScreen, LibraryScreen):
    """Sends the prompt and streams each reply into the log and the status line."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._reply_tokens = 0
        self._status_drawn = 0.0

    # -- sending -----------------------------------------------------------------------------

    @on(PromptInput.Submitted)
    def _submitted(self, event: PromptInput.Submitted) -> None:
        if self.after_open(partial(self._submitted, event)):
            return  # sent to the conversation being opened, once it is shown
        conversation = self.conversation
        streaming = self._streaming(conversation.id)
        if not streaming and not self.ready_to_send():
            self.prompt.give_back(event.text)
            return
        text = event.text
        editing, self.editing = self.editing, None
        self.set_prompt_note(None)
        self.remember_prompt(text)
        if streaming:  # sent when the reply ends
            self.enqueue(conversation, text, editing)
        else:
            self.send_prompt(conversation, text, editing)

    def send_prompt(self, conversation: Conversation, text: str, editing: Message | None) -> None:
        """Send ``text`` as the next turn (or as an edit of ``editing``: a new branch)."""
        self.services.pin_profile(conversation)
        events = self.services.session.send(conversation, text, self.settings, instead_of=editing)
        self.start_reply(conversation, events, "send" if editing is None else "branch")

    def ready_to_send(self) -> bool:
        if self.services.endpoint(self.services.profile_of(self.conversation)).key.pending:
            self.notify(_("The API key command is still running: send again when it is done."))
            return False
        if not self.services.can_send(self.conversation):
            self.notify(_("Set an API key first (F2)."), severity="warning")
            self.post_message(SettingsRequested())
            return False
        if self.services.session.client is None:
            self.services.connect()  # the warm-up has not finished yet: build it now
        return True

    def start_reply(
        self,
        conversation: Conversation,
        events: AsyncGenerator[SessionEvent, None],
        mode: str,
    ) -> None:
        self._reply_tokens = 0
        self.status.set_state(_("sending…"), "busy")
        self.run_worker(
            self._stream_reply(conversation, events, mode),
            group=f"reply-{conversation.id}",
            exclusive=True,
            exit_on_error=False,
            name=conversation.id,
        )

    async def _stream_reply(
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

        reply: Message | None = None
        started = time.monotonic()
        try:
            async with aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, ReplyStarted):
                        reply = event.message
                        self._on_started(conversation, reply, mode)
                    elif isinstance(event, TextDelta) and reply is not None:
                        self._on_delta(conversation, reply, event.text, started)
                    elif isinstance(event, ReplyFinished):
                        if reply is None:  # refused before sending (e.g. prompt too long)
                            self._on_started(conversation, event.message, mode)
                        reply = event.message
                    elif isinstance(event, RepliesDropped) and self._visible(conversation):
                        for message_id in event.message_ids:
                            self.log_view.remove_message(message_id)
                    elif isinstance(event, ContextTrimmed) and self._visible(conversation):
                        self.log_view.add_notice(
                            _("{count} earlier messages not sent", count=event.dropped)
                        )
                    elif isinstance(event, SaveFailed):
                        self.notify(
                            problem_text(event.problem), severity="error", markup=False, timeout=10
                        )
        finally:
            if not self.services.store.is_deleted(conversation.id):
                self._finish(conversation, reply)

    def _visible(self, conversation: Conversation) -> bool:
        return conversation is self.conversation

    def _on_started(self, conversation: Conversation, reply: Message, mode: str) -> None:
        if self._visible(conversation):
            self.sidebar.set_current(conversation.id)
        self.sidebar.upsert(summary_of(conversation))
        if self._visible(conversation):
            branch = conversation.branch()
            if mode == "branch":  # regenerated or edited: the branch on screen changed
                self.log_view.set_conversation(
                    branch[:-1],
                    conversation.system_prompt,
                    alternatives=alternatives_of(conversation),
                )
            elif mode == "send" and len(branch) > 1:
                self.log_view.add_message(branch[-2])
            else:
                self.log_view.remove_message(reply.id)  # continuing it: shown again, live
            self.log_view.add_message(reply, alternatives_of(conversation).get(reply.id))
            self.log_view.scroll_to_latest()
            self.status.set_state(_("waiting for the reply…"), "busy")
            self.update_budget()  # the turn just sent is history now

    def _offer_fix(self, reply: Message) -> None:
        """For a problem fixed in the settings (a rejected key...), offer to open them."""
        problem = reply.problem
        if problem is None or not offers_settings(problem) or self.app.screen is not self:
            return

        def chosen(open_settings: bool | None) -> None:
            if open_settings:
                self.post_message(SettingsRequested())

        from chattui.ui.screens.dialogs import ProblemScreen

        dialog = ProblemScreen(problem_text(problem), _("Open settings"))
        self.app.push_screen(dialog, chosen)

    def _on_delta(
        self, conversation: Conversation, reply: Message, text: str, started: float
    ) -> None:
        self._reply_tokens += 1
        if self._visible(conversation):
            self.log_view.append_text(reply.id, text)
            now = time.monotonic()
            if now - self._status_drawn >= STATUS_INTERVAL:
                # The status line is redrawn a few times a second, not per delta: per-delta
                # updates cost more than rendering the reply itself.
                self._status_drawn = now
                self.status.set_state(_("streaming…"), "busy")
                self.status.set_tokens(_("{n} chunks", n=self._reply_tokens))

    def _send_queued(self, conversation: Conversation, reply: Message) -> None:
        """Send the next prompt queued while ``reply`` streamed (if it completed)."""
        if reply.status is not MessageStatus.COMPLETE:
            self.return_queue(conversation)
            return
        queued = self.take_queued(conversation)
        if queued is not None:
            text, editing = queued
            self.call_later(self.send_prompt, conversation, text, editing)

    def _finish(self, conversation: Conversation, reply: Message | None) -> None:
        self.sidebar.upsert(summary_of(conversation))
        self.after_reply(conversation, reply)
        if not self._visible(conversation) and reply is not None:
            self._send_queued(conversation, reply)
        if not self._visible(conversation):
            if reply is not None and reply.status is MessageStatus.ERROR:
                self.notify(
                    _("A reply in “{title}” failed.", title=conversation.title),
                    severity="warning",
                    markup=False,
                )
            return
        if reply is None:
            self.status.set_state(_("ready"))
            return
        self._send_queued(conversation, reply)
        self.log_view.update_message(reply)
        if reply.status is MessageStatus.ERROR:
            self.status.set_state(_("error: Ctrl+R retries"), "error")
            self._offer_fix(reply)
        elif reply.status is MessageStatus.STOPPED:
            self.status.set_state(_("stopped"))
        else:
            self.status.set_state(_("ready"))
        if reply.usage is not None:
            from chattui.core.catalog import estimate_cost

            usage = reply.usage
            planner = self.services.planner
            info = planner.model_info(reply.model or self.settings.model)
            cost = estimate_cost(info, usage.prompt_tokens, usage.completion_tokens)
            total = conversation_cost(conversation, planner.model_info)
            self.status.set_tokens(
                usage_text(usage.prompt_tokens, usage.completion_tokens, cost, total)
            )
        else:
            self.status.set_tokens("")
        self.update_budget()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                _("Unexpected error: {error}", error=type(error).__name__),
                severity="error",
                markup=False,
            )
