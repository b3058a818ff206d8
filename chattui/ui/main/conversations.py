"""Managing the saved conversations from the sidebar: list, open, rename, delete (with undo),
and changing one in place.

A deleted conversation disappears from the list at once, but its file is kept until the undo
notice expires (a reply still streaming in it goes on meanwhile, so undo loses nothing). Then
the session deletes it: a reply still streaming is stopped and the core makes sure nothing of
it is written back (the store's tombstone).

Saves from here run in the session's writer thread too (after the reply's own saves, so a pin
made while a reply streams is not overtaken by an older checkpoint).

A big saved conversation is read and parsed in a thread; it is shown when it is ready, unless
another choice was made meanwhile: the last choice wins. What is typed meanwhile stays in the
prompt, and a prompt sent meanwhile goes to the conversation being opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from chattui.core.models import Conversation, TitleSource
from chattui.core.problems import Problem
from chattui.core.sanitize import sanitize_line
from chattui.core.services import Services
from chattui.core.storage import ConversationSummary, StorageError
from chattui.i18n import _
from chattui.ui.main.panes import Panes, Shown
from chattui.ui.render.problems import error_text, problem_text

__all__ = ["UNDO_SECONDS", "ConversationLoaded", "Conversations", "summary_of"]

UNDO_SECONDS = 8.0
"""How long a delete can be undone; the file is removed after that."""
LIBRARY_CHECK_SECONDS = 3.0
"""How often the conversations folder is checked for changes made by another process (a
second instance, ``chattui import``): a stat; the list is read again only if it changed."""
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


class Conversations:
    """List, open, rename, delete and change conversations (see the module docstring).

    ``show`` puts a conversation on screen (the screen's :meth:`show_conversation`).
    """

    def __init__(
        self,
        screen: Screen[None],
        services: Services,
        shown: Shown,
        panes: Panes,
        show: Callable[[Conversation], None],
    ) -> None:
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._show = show
        self._opening: _Opening | None = None
        self._stamp: int | None = None
        """The folder's stamp when it was last listed (see :meth:`watch_library`)."""
        self._listing = False
        """A listing thread is running."""
        """The conversation being read in a thread, if any."""
        self._pending_deletes: dict[str, _PendingDelete] = {}
        """Deleted conversations that can still be restored, oldest first."""

    # -- saving ----------------------------------------------------------------------------------

    def _report_failure(self, problem: Problem) -> None:
        """A background save or delete failed (told on the loop, maybe after the screen
        closed: then there is no one left to tell)."""
        if self._screen.is_attached:
            self._screen.notify(problem_text(problem), severity="error", markup=False, timeout=10)

    def save_soon(self, conversation: Conversation) -> None:
        """Save ``conversation`` in the background; a failure is reported when it happens."""
        self._services.save_soon(conversation, self._report_failure)

    def saved(self, conversation: Conversation) -> None:
        """``conversation`` changed: save it and update its sidebar entry."""
        self.save_soon(conversation)
        self._panes.sidebar.upsert(summary_of(conversation))

    def delete_soon(self, conversation_id: str, *, keep_out: bool = True) -> None:
        """Delete a conversation in the background (see ``ChatSession.delete``)."""
        self._services.delete_conversation(
            conversation_id, keep_out=keep_out, on_failed=self._report_failure
        )

    # -- listing ---------------------------------------------------------------------------------

    def watch_library(self) -> None:
        """List the conversations again (in a thread) whenever another process changed the
        folder: checked every :data:`LIBRARY_CHECK_SECONDS`, a stat each time."""
        self._screen.set_interval(LIBRARY_CHECK_SECONDS, self._check_library)

    def _check_library(self) -> None:
        if not self._listing and self._services.library_stamp() != self._stamp:
            self.list_in_background()

    def refresh_list(self) -> None:
        """Reload the list of conversations from the store, reporting unreadable files."""
        try:
            summaries = self._services.list_conversations()
        except StorageError as error:
            self._screen.notify(error_text(error), severity="error", markup=False)
            summaries = []
        self._show_list(summaries)

    def list_in_background(self) -> None:
        """:meth:`refresh_list` with the reading in a thread: the app's first listing
        (10,000 conversations take ~0.1 s), once its first frame is drawn."""
        self._listing = True
        self._screen.run_worker(
            self._list_in_thread, thread=True, group="listing", exit_on_error=False
        )

    def _list_in_thread(self) -> None:
        app = self._screen.app
        try:
            summaries = self._services.list_conversations()
        except StorageError as error:
            app.call_from_thread(
                self._screen.notify, error_text(error), severity="error", markup=False
            )
            summaries = []
        app.call_from_thread(self._show_list, summaries)

    def _show_list(self, summaries: list[ConversationSummary]) -> None:
        # Stamped after the listing, which may itself have written index.json into the folder.
        self._stamp = self._services.library_stamp()
        self._listing = False
        # A delete still on its way (or waiting for its undo) is not brought back.
        summaries = [s for s in summaries if not self._services.is_deleted(s.id)]
        for problem in self._services.store_problems():
            self._screen.notify(problem_text(problem), severity="warning", timeout=10, markup=False)
        self._panes.sidebar.show(summaries, self._shown.conversation.id)

    # -- opening ---------------------------------------------------------------------------------

    def open(self, conversation_id: str, then: Callable[[], object] | None = None) -> None:
        """Show a conversation: at once if it is in memory or small, else once a thread has
        read it (``then`` runs after it is shown; not if it could not be read)."""
        self._opening = None  # this choice replaces any still being read
        after = [then] if then is not None else []
        prompt = self._panes.prompt
        if conversation_id == self._shown.conversation.id:
            prompt.focus()
            _run(after)
            return
        conversation = self._services.live_conversation(conversation_id)
        if conversation is None:
            if self._is_big(conversation_id):
                self._opening = _Opening(
                    conversation_id, self._shown.conversation, after, prompt.text
                )
                self._screen.run_worker(
                    partial(self._load_in_thread, conversation_id),
                    thread=True,
                    exclusive=True,
                    group="open-conversation",
                    exit_on_error=False,
                )
                return
            try:
                conversation = self._services.load_conversation(conversation_id)
            except StorageError as error:
                self._screen.notify(error_text(error), severity="error", markup=False, timeout=10)
                self.refresh_list()
                return
            self._services.adopt(conversation)
        self._show(conversation)
        prompt.focus()
        _run(after)

    def after_open(self, action: Callable[[], object]) -> bool:
        """If a conversation is being read, run ``action`` once it is shown and say True (a
        prompt sent meanwhile goes to it); else False."""
        if self._opening is None:
            return False
        self._opening.then.append(action)
        return True

    def _is_big(self, conversation_id: str) -> bool:
        try:
            size = self._services.conversation_size(conversation_id)
        except OSError:
            return False  # the store says what is wrong
        return size > LOAD_IN_THREAD_BYTES

    def _load_in_thread(self, conversation_id: str) -> None:
        """Read and parse a conversation's file off the event loop."""
        try:
            conversation = self._services.load_conversation(conversation_id)
        except StorageError as error:
            loaded = ConversationLoaded(conversation_id, None, error_text(error))
        else:
            loaded = ConversationLoaded(conversation_id, conversation, None)
        self._screen.post_message(loaded)

    def loaded(self, event: ConversationLoaded) -> None:
        """A conversation read in a thread is ready: show it, unless another was chosen."""
        opening = self._opening
        if (
            opening is None
            or opening.conversation_id != event.conversation_id
            or opening.shown is not self._shown.conversation  # another was shown meanwhile
        ):
            return
        self._opening = None
        live = self._services.live_conversation(event.conversation_id)
        conversation = live or event.conversation
        if conversation is None:
            self._screen.notify(event.error or "", severity="error", markup=False, timeout=10)
            self.refresh_list()
            return
        if conversation is event.conversation:
            self._services.adopt(conversation)
        prompt = self._panes.prompt
        typed = prompt.text
        if typed != opening.prompt:  # typed while it was read: for the new conversation
            prompt.load_text(opening.prompt)  # the old one's draft, as it was then
        self._show(conversation)
        if typed != opening.prompt:
            prompt.load_text(typed)
            prompt.move_cursor(prompt.document.end)
        prompt.focus()
        _run(opening.then)

    # -- rename, delete, undo ----------------------------------------------------------------

    def _summary(self, conversation_id: str | None) -> ConversationSummary | None:
        target_id = conversation_id or self._shown.conversation.id
        return next((s for s in self._panes.sidebar.summaries if s.id == target_id), None)

    def rename(self, conversation_id: str | None = None) -> None:
        """Ask for a new title (the conversation on screen if no id is given)."""
        current = self._summary(conversation_id)
        if current is None:
            return

        def done(title: str | None) -> None:
            if not title or not title.strip():
                return

            def retitle(conversation: Conversation) -> None:
                conversation.title = sanitize_line(title, 200)
                conversation.title_source = TitleSource.MANUAL

            self.modify(current.id, retitle)

        from chattui.ui.screens.dialogs import TextInputScreen

        self._screen.app.push_screen(TextInputScreen(_("Rename conversation"), current.title), done)

    def delete(self, conversation_id: str | None = None) -> None:
        """Remove a conversation from the list; its file goes when the undo expires."""
        current = self._summary(conversation_id)
        if current is None:
            return
        target_id = current.id
        was_open = self._shown.conversation.id == target_id
        self._panes.sidebar.hide(target_id)
        if was_open:
            self._show(Conversation(system_prompt=self._shown.settings.system_prompt))
        timer = self._screen.set_timer(UNDO_SECONDS, partial(self.delete_now, target_id))
        self._pending_deletes[target_id] = _PendingDelete(current, timer, was_open)
        self._screen.notify(
            _(
                "Deleted “{title}”. {key} undoes it.",
                title=current.title,
                key=self.key_label("undo_delete"),
            ),
            timeout=UNDO_SECONDS,
            markup=False,
        )

    def undo_delete(self) -> None:
        """Restore the conversation deleted last (while its undo has not expired)."""
        if not self._pending_deletes:
            self._screen.notify(_("Nothing to undo."))
            return
        target_id, pending = self._pending_deletes.popitem()
        pending.timer.stop()
        self._panes.sidebar.unhide(target_id)
        if pending.was_open:
            self.open(target_id)
        self._screen.notify(_("Restored “{title}”.", title=pending.summary.title), markup=False)

    def delete_now(self, conversation_id: str) -> None:
        """Remove a deleted conversation (its undo expired); the session stops a reply still
        streaming in it and keeps its last save from bringing the file back."""
        pending = self._pending_deletes.pop(conversation_id, None)
        if pending is None:
            return
        pending.timer.stop()
        if self._panes.sidebar.is_attached:  # not when the app is closing
            self._panes.sidebar.remove_entry(conversation_id)
        self.delete_soon(conversation_id)

    def delete_pending(self) -> None:
        """Carry out every delete still waiting for its undo to expire (e.g. when quitting)."""
        for conversation_id in list(self._pending_deletes):
            self.delete_now(conversation_id)

    def key_label(self, action_id: str) -> str:
        """The key in effect for an action, as a notice names it."""
        from chattui.ui.actions.keymap import first_key

        return first_key(action_id, getattr(self._screen.app, "keymap", {}))

    # -- changing one ------------------------------------------------------------------------

    def modify(
        self, conversation_id: str, change: Callable[[Conversation], object]
    ) -> Conversation | None:
        """Apply ``change`` to a conversation (the copy in memory when it is on screen or
        streaming, else the file's), save it and update its sidebar entry. ``change`` may
        return False to leave it unchanged. Returns the conversation, or None if nothing
        was saved."""
        shown = self._shown.conversation
        live = self._services.live_conversation(conversation_id) or (
            shown if shown.id == conversation_id else None
        )
        try:
            conversation = live or self._services.load_conversation(conversation_id)
        except StorageError as error:
            self._screen.notify(error_text(error), severity="error", markup=False)
            return None
        if change(conversation) is False:
            return None
        if conversation.messages:  # an empty new conversation is saved with its first turn
            self.saved(conversation)
        return conversation


def _run(actions: list[Callable[[], object]]) -> None:
    for action in actions:
        action()
