"""Managing the saved conversations from the sidebar: open, rename, delete (with undo).

A deleted conversation disappears from the list at once, but its file is kept until the undo
notice expires (a reply still streaming in it goes on meanwhile, so undo loses nothing). Then
the session deletes it: a reply still streaming is stopped and the core makes sure nothing of
it is written back (the store's tombstone).

Saves from here run in the session's writer thread too (after the reply's own saves, so a pin
made while a reply streams is not overtaken by an older checkpoint).

A big saved conversation is read and parsed in a thread; it is shown when it is ready, unless
another choice was made meanwhile: the last choice wins. What is typed meanwhile stays in the
prompt, and a prompt sent meanwhile goes to the conversation being opened.

The base of :class:`~chattui.ui.screens.main.MainScreen`, which adds the chat itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from chattui.core.config import Settings
from chattui.core.models import Conversation, TitleSource
from chattui.core.problems import Problem
from chattui.core.sanitize import sanitize_line
from chattui.core.services import Services
from chattui.core.storage import ConversationSummary, StorageError
from chattui.i18n import _
from chattui.ui.render.problems import error_text, problem_text
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.sidebar import ConversationList

__all__ = ["UNDO_SECONDS", "ConversationScreen", "summary_of"]

UNDO_SECONDS = 8.0
"""How long a delete can be undone; the file is removed after that."""
LOAD_IN_THREAD_BYTES = 64 * 1024
"""Conversation files larger than this are read in a thread (a smaller one takes well under
a millisecond to parse: it is shown at once)."""


def summary_of(conversation: Conversation) -> ConversationSummary:
    """The sidebar entry of a conversation held in memory."""
    return ConversationSummary(
        conversation.id,
        conversation.title,
        conversation.updated,
        conversation.created,
        pinned=conversation.pinned,
        archived=conversation.archived,
    )


class ConversationLoaded(Message):
    """A conversation was read in a thread (or could not be: ``error`` says why)."""

    bubble = False  # for the screen only

    def __init__(
        self, conversation_id: str, conversation: Conversation | None, error: str | None
    ) -> None:
        super().__init__()
        self.conversation_id = conversation_id
        self.conversation = conversation
        self.error = error


@dataclass
class _Opening:
    """A conversation being read, and what to do once it is shown."""

    conversation_id: str
    shown: Conversation
    """The conversation on screen when it was chosen: if another is shown meanwhile, the
    newer choice wins and this one is dropped."""
    then: list[Callable[[], object]]
    """What to run once it is shown (not if it could not be read)."""
    prompt: str
    """The prompt's text when it was chosen (the old conversation's draft)."""


@dataclass
class _PendingDelete:
    """A deleted conversation whose file is kept until the undo expires."""

    summary: ConversationSummary
    timer: Timer
    was_open: bool


class ConversationScreen(Screen[None]):
    """Open, rename and delete conversations; subclasses show them and stream replies."""

    _opening: _Opening | None = None
    """The conversation being read in a thread, if any."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.conversation = Conversation(system_prompt=services.settings.system_prompt)
        self._pending_deletes: dict[str, _PendingDelete] = {}
        """Deleted conversations that can still be restored, oldest first."""

    @property
    def settings(self) -> Settings:
        """The settings, with the endpoint of the conversation on screen (its profile)."""
        return self.services.settings_for(self.conversation)

    @property
    def sidebar(self) -> ConversationList:
        return self.query_one("#sidebar", ConversationList)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    def _streaming(self, conversation_id: str) -> bool:
        return self.services.streaming(conversation_id)

    def _report_failure(self, problem: Problem) -> None:
        """A background save or delete failed (told on the loop, maybe after the screen
        closed: then there is no one left to tell)."""
        if self.is_attached:
            self.notify(problem_text(problem), severity="error", markup=False, timeout=10)

    def save_soon(self, conversation: Conversation) -> None:
        """Save ``conversation`` in the background; a failure is reported when it happens."""
        self.services.session.save_soon(conversation, self._report_failure)

    def delete_soon(self, conversation_id: str, *, keep_out: bool = True) -> None:
        """Delete a conversation in the background (see ``ChatSession.delete``)."""
        self.services.session.delete(
            conversation_id, keep_out=keep_out, on_failed=self._report_failure
        )

    def show_conversation(self, conversation: Conversation) -> None:
        """Put ``conversation`` on screen (the subclass draws it)."""
        raise NotImplementedError

    def refresh_sidebar(self) -> None:
        """Reload the list of conversations from the store, reporting unreadable files."""
        try:
            summaries = self.services.store.list_conversations()
        except StorageError as error:
            self.notify(error_text(error), severity="error", markup=False)
            summaries = []
        self._show_list(summaries)

    @work(thread=True, group="listing", exit_on_error=False)
    def list_in_background(self) -> None:
        """:meth:`refresh_sidebar` with the reading in a thread: the app's first listing
        (10,000 conversations take ~0.1 s), once its first frame is drawn."""
        try:
            summaries = self.services.store.list_conversations()
        except StorageError as error:
            self.app.call_from_thread(
                self.notify, error_text(error), severity="error", markup=False
            )
            summaries = []
        self.app.call_from_thread(self._show_list, summaries)

    def _show_list(self, summaries: list[ConversationSummary]) -> None:
        for problem in self.services.store.problems:
            self.notify(problem_text(problem), severity="warning", timeout=10, markup=False)
        self.services.store.problems.clear()
        self.sidebar.show(summaries, self.conversation.id)

    @on(ConversationList.Selected)
    def _open(self, event: ConversationList.Selected) -> None:
        self.open_conversation(event.conversation_id)

    def open_conversation(
        self, conversation_id: str, then: Callable[[], object] | None = None
    ) -> None:
        """Show a conversation: at once if it is in memory or small, else once a thread has
        read it (``then`` runs after it is shown; not if it could not be read)."""
        self._opening = None  # this choice replaces any still being read
        after = [then] if then is not None else []
        if conversation_id == self.conversation.id:
            self.prompt.focus()
            self._run(after)
            return
        conversation = self.services.session.live_conversation(conversation_id)
        if conversation is None:
            if self._is_big(conversation_id):
                self._opening = _Opening(
                    conversation_id, self.conversation, after, self.prompt.text
                )
                self.load_conversation(conversation_id)
                return
            try:
                conversation = self.services.store.load(conversation_id)
            except StorageError as error:
                self.notify(error_text(error), severity="error", markup=False, timeout=10)
                self.refresh_sidebar()
                return
            self.services.adopt(conversation)
        self.show_conversation(conversation)
        self.prompt.focus()
        self._run(after)

    def after_open(self, action: Callable[[], object]) -> bool:
        """If a conversation is being read, run ``action`` once it is shown and say True (a
        prompt sent meanwhile goes to it); else False."""
        if self._opening is None:
            return False
        self._opening.then.append(action)
        return True

    def _is_big(self, conversation_id: str) -> bool:
        try:
            size = self.services.store.path_for(conversation_id).stat().st_size
        except OSError:
            return False  # the store says what is wrong
        return size > LOAD_IN_THREAD_BYTES

    @staticmethod
    def _run(actions: list[Callable[[], object]]) -> None:
        for action in actions:
            action()

    @work(thread=True, exclusive=True, group="open-conversation", exit_on_error=False)
    def load_conversation(self, conversation_id: str) -> None:
        """Read and parse a conversation's file off the event loop."""
        try:
            conversation = self.services.store.load(conversation_id)
        except StorageError as error:
            self.post_message(ConversationLoaded(conversation_id, None, error_text(error)))
        else:
            self.post_message(ConversationLoaded(conversation_id, conversation, None))

    @on(ConversationLoaded)
    def _loaded(self, event: ConversationLoaded) -> None:
        opening = self._opening
        if (
            opening is None
            or opening.conversation_id != event.conversation_id
            or opening.shown is not self.conversation  # another was shown meanwhile
        ):
            return
        self._opening = None
        conversation = (
            self.services.session.live_conversation(event.conversation_id) or event.conversation
        )
        if conversation is None:
            self.notify(event.error or "", severity="error", markup=False, timeout=10)
            self.refresh_sidebar()
            return
        if conversation is event.conversation:
            self.services.adopt(conversation)
        typed = self.prompt.text
        if typed != opening.prompt:  # typed while it was read: for the new conversation
            self.prompt.load_text(opening.prompt)  # the old one's draft, as it was then
        self.show_conversation(conversation)
        if typed != opening.prompt:
            self.prompt.load_text(typed)
            self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()
        self._run(opening.then)

    @on(ConversationList.RenameRequested)
    def _rename(self, event: ConversationList.RenameRequested) -> None:
        self.rename_conversation(event.conversation_id)

    def rename_conversation(self, conversation_id: str | None = None) -> None:
        target_id = conversation_id or self.conversation.id
        current = next((s for s in self.sidebar.summaries if s.id == target_id), None)
        if current is None:
            return

        def done(title: str | None) -> None:
            if not title or not title.strip():
                return

            def retitle(conversation: Conversation) -> None:
                conversation.title = sanitize_line(title, 200)
                conversation.title_source = TitleSource.MANUAL

            self.modify_conversation(target_id, retitle)

        from chattui.ui.screens.dialogs import TextInputScreen

        self.app.push_screen(TextInputScreen(_("Rename conversation"), current.title), done)

    @on(ConversationList.DeleteRequested)
    def _delete(self, event: ConversationList.DeleteRequested) -> None:
        self.delete_conversation(event.conversation_id)

    def delete_conversation(self, conversation_id: str | None = None) -> None:
        """Remove a conversation from the list; its file goes when the undo expires."""
        target_id = conversation_id or self.conversation.id
        current = next((s for s in self.sidebar.summaries if s.id == target_id), None)
        if current is None:
            return
        was_open = self.conversation.id == target_id
        self.sidebar.hide(target_id)
        if was_open:
            self.show_conversation(Conversation(system_prompt=self.settings.system_prompt))
        timer = self.set_timer(UNDO_SECONDS, partial(self.delete_now, target_id))
        self._pending_deletes[target_id] = _PendingDelete(current, timer, was_open)
        self.notify(
            _("Deleted “{title}”. Press u in the list to undo.", title=current.title),
            timeout=UNDO_SECONDS,
            markup=False,
        )

    def action_undo_delete(self) -> None:
        """Restore the conversation deleted last (while its undo has not expired)."""
        if not self._pending_deletes:
            self.notify(_("Nothing to undo."))
            return
        target_id, pending = self._pending_deletes.popitem()
        pending.timer.stop()
        self.sidebar.unhide(target_id)
        if pending.was_open:
            self.open_conversation(target_id)
        self.notify(_("Restored “{title}”.", title=pending.summary.title), markup=False)

    def delete_now(self, conversation_id: str) -> None:
        """Remove a deleted conversation (its undo expired); the session stops a reply still
        streaming in it and keeps its last save from bringing the file back."""
        pending = self._pending_deletes.pop(conversation_id, None)
        if pending is None:
            return
        pending.timer.stop()
        for sidebar in self.query(ConversationList):  # none when the app is closing
            sidebar.remove_entry(conversation_id)
        self.delete_soon(conversation_id)

    def delete_pending(self) -> None:
        """Carry out every delete still waiting for its undo to expire (e.g. when quitting)."""
        for conversation_id in list(self._pending_deletes):
            self.delete_now(conversation_id)

    def modify_conversation(
        self, conversation_id: str, change: Callable[[Conversation], object]
    ) -> Conversation | None:
        """Apply ``change`` to a conversation (the copy in memory when it is on screen or
        streaming, else the file's), save it and update its sidebar entry. ``change`` may
        return False to leave it unchanged. Returns the conversation, or None if nothing
        was saved."""
        live = self.services.session.live_conversation(conversation_id) or (
            self.conversation if self.conversation.id == conversation_id else None
        )
        try:
            conversation = live or self.services.store.load(conversation_id)
        except StorageError as error:
            self.notify(error_text(error), severity="error", markup=False)
            return None
        if change(conversation) is False:
            return None
        if conversation.messages:  # an empty new conversation is saved with its first turn
            self.save_soon(conversation)
        if conversation.messages:
            self.sidebar.upsert(summary_of(conversation))
        return conversation
