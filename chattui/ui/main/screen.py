"""The main screen: conversations on the left, the chat and the prompt on the right.

The screen composes its widgets (:class:`~chattui.ui.main.panes.Panes`), holds its bindings
(built from the table of actions) and routes what happens to its parts, plain classes given
what they need when they are made: :class:`Conversations` (list, open, rename, delete),
:class:`Library` (pin, archive, details, titles), :class:`Replies` (send and stream),
:class:`MessageActions` (what the message cursor does), :class:`PromptDrafts` (history,
drafts, the queue, edit mode, the editor), :class:`BudgetMeter`, :class:`Finder` and
:class:`Endpoint`. Each action here is one line that hands over to a part.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Offset, Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TextArea
from textual.worker import Worker, WorkerState

from chattui.core.branches import alternatives_of
from chattui.core.config import Settings
from chattui.core.models import Conversation, Message
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.main.budget import BudgetCounted, BudgetMeter
from chattui.ui.main.conversations import ConversationLoaded, Conversations
from chattui.ui.main.drafts import PromptDrafts
from chattui.ui.main.endpoint import Endpoint, KeyCommandsRan
from chattui.ui.main.finder import Finder
from chattui.ui.main.library import Library
from chattui.ui.main.messages import MessageActions
from chattui.ui.main.panes import Panes, Shown
from chattui.ui.main.replies import Replies
from chattui.ui.main.start import StartAt
from chattui.ui.widgets.find_bar import FindBar
from chattui.ui.widgets.key_footer import KeyFooter
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.sidebar import ConversationList

INDEX_PROGRESS_SECONDS = 1.0
"""How often the status line shows how far the search index's build is."""
INDEX_PROGRESS_FROM = 200
"""Files to index from which the build is shown (fewer take a moment)."""

if TYPE_CHECKING:
    from textual.command import Provider

    from chattui.ui.main.profiles import Profiles
    from chattui.ui.screens.search import SearchPick

__all__ = ["MainScreen"]


def _commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens."""
    from chattui.ui.main.commands import MainCommands

    return MainCommands


def _typed(event: events.Key) -> bool:
    """A key a typist presses to write: a character without Ctrl or Alt, or Backspace."""
    if event.key == "backspace":
        return True
    modifiers = set(event.key.split("+")[:-1])
    return event.is_printable and bool(event.character) and not modifiers - {"shift"}


class MainScreen(Screen[None]):
    """Sidebar, chat log, prompt, status line and footer."""

    BINDINGS = bindings(Scope.CHAT)
    COMMANDS = {_commands}
    CSS_PATH = Path(__file__).with_name("main.tcss")
    AUTO_FOCUS = "#prompt"
    """Keys typed before the first frame go to the prompt, not to the sidebar's filter."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.panes = Panes()
        self.shown = Shown(services)
        args = (self, services, self.shown, self.panes)
        self.budget = BudgetMeter(*args, lambda: self.drafts.editing)
        self.drafts = PromptDrafts(*args)
        self.conversations = Conversations(*args, self.show_conversation)
        self.library = Library(*args, self.conversations, self.show_conversation)
        self.replies = Replies(*args, self.drafts, self.budget, self.library)
        parts = (self.conversations, self.drafts, self.replies, self.budget)
        self.messages = MessageActions(*args, parts)
        self.finder = Finder(self, self.shown, self.panes, self.conversations, self.redraw)
        self.endpoint = Endpoint(*args, self.budget, self._key_ready)
        self._resumed = False
        self._start_prompt = ""
        """The command line's prompt, waiting for the key command to give the key."""
        self._first_frame_work: list[Callable[[], object]] | None = []
        """Work waiting for the first frame (None once it is painted)."""

    def compose(self) -> ComposeResult:
        # The screen lays the two columns out side by side itself (main.tcss): no container
        # for them to compose, style and paint before the first frame.
        panes = self.panes
        yield panes.side
        with Vertical(id="chat"):
            yield panes.log
            yield panes.find_bar
            yield panes.note
            yield panes.prompt
            yield panes.status

    # -- what the rest of the app uses -------------------------------------------------------

    @property
    def conversation(self) -> Conversation:
        """The conversation on screen."""
        return self.shown.conversation

    @property
    def settings(self) -> Settings:
        return self.shown.settings

    @property
    def prompt(self) -> PromptInput:
        return self.panes.prompt

    def show_conversation(self, conversation: Conversation) -> None:
        """Put ``conversation`` on screen, with its draft, its live reply and its status."""
        panes = self.panes
        self.drafts.switch(self.shown.conversation, conversation)
        self.shown.conversation = conversation
        live = self.services.live_reply(conversation.id)
        reply = live.sync() if live is not None else None  # its text so far, from the session
        panes.log.set_conversation(
            conversation.branch(),
            conversation.system_prompt,
            live_ids=[reply.id] if reply is not None else [],
            alternatives=alternatives_of(conversation),
        )
        self.drafts.show_queue()
        panes.sidebar.set_current(conversation.id if conversation.messages else None)
        self.endpoint.update()
        if self.shown.streaming():
            panes.status.set_state(_("streaming…"), "busy")
        panes.status.set_tokens("")
        self.budget.update()

    def redraw(self, cursor: Message | None = None) -> None:
        """Draw the branch on screen again."""
        self.messages.redraw(cursor)

    def code_blocks(self) -> list[tuple[str, str]]:
        """The code blocks the palette offers to copy (of the reply under the cursor)."""
        return self.messages.code_blocks()

    def start_at(self, start: StartAt) -> None:
        """Show the conversation the command line asked for, and send its prompt."""
        if start.conversation is not None:
            self.conversations.refresh_list()
            self.show_conversation(start.conversation)
        elif start.conversation_id:  # read in a thread; the prompt is sent once it is shown
            if start.prompt.strip():
                self.prompt.text = start.prompt
            self.conversations.open(start.conversation_id, partial(self._send_start, start.prompt))
            return
        self._send_start(start.prompt)

    def _send_start(self, text: str) -> None:
        if text.strip():
            self.prompt.text = text
            if self.services.has_key:
                self._submitted(PromptInput.Submitted(self.prompt, text))
            elif self.services.key_pending:
                self._start_prompt = text  # sent once the key command gave the key

    def _key_ready(self) -> None:
        waiting, self._start_prompt = self._start_prompt, ""
        if waiting and self.prompt.text == waiting and self.services.can_send(self.conversation):
            self._submitted(PromptInput.Submitted(self.prompt, waiting))

    def settings_saved(self, before: Settings) -> None:
        """The settings were saved (the app tells): the open conversation follows them."""
        if self.library.settings_changed(before):
            self.redraw()  # the new default system prompt of the empty conversation
        self.endpoint.update()
        self.budget.update()

    def route_key(self, event: events.Key) -> None:
        """Typed text goes to the prompt. The app calls this for every key, before sending it
        to the focused widget: a pane that does not take text (the chat log, the sidebar)
        hands the focus to the prompt first, so the key, and those after it, land there in
        the order typed, and never run an action."""
        focused = self.focused
        panes = self.panes
        if (focused is panes.log or focused is panes.sidebar) and _typed(event):
            self.set_focus(panes.prompt)

    # -- start-up ----------------------------------------------------------------------------

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # The first resume comes right after every widget was styled as it was mounted:
            # styling them all again would cost the first frame ~10 ms. Later ones (a dialog
            # closed, maybe after a theme change) restyle as usual.
            self._resumed = True
            event.refresh_styles = False

    def _screen_resized(self, size: Size) -> None:
        # The terminal's size, sent once as the app starts, usually arrives after this screen
        # was laid out at that very size: laying it out and drawing it again would cost the
        # first frame a second full render (~8 ms).
        if size != self._compositor.size:
            super()._screen_resized(size)

    def get_widget_and_offset_at(self, x: int, y: int) -> tuple[Widget | None, Offset | None]:
        """Textual's, except that in the chat log a wide character's right half is that
        character (the mouse selection ends on it, not on the next one)."""
        widget, offset = super().get_widget_and_offset_at(x, y)
        if widget is self.panes.log and offset is not None:
            offset = self.panes.log.selection_offset_at(x, y) or offset
        return widget, offset

    def on_mount(self) -> None:
        panes = self.panes
        self._after_first_frame(self._mount_footer)
        panes.log.set_error_hint(_("Ctrl+R retry · F2 settings"))
        panes.log.set_usage_label(self.replies.usage_label)
        if self.size.width < 80:
            panes.side.add_class("-hidden")
        if self.services.index_is_big():
            # The list comes a moment after the first frame (the index is read in a thread):
            # the frame, and typing, do not wait for it.
            self._after_first_frame(self.conversations.list_in_background)
        else:
            self.conversations.refresh_list()
        self.conversations.watch_library()
        self.set_interval(INDEX_PROGRESS_SECONDS, self._show_index_progress)
        self.drafts.setup()
        self.show_conversation(self.conversation)
        self.endpoint.update()
        self.prompt.focus()
        self.set_interval(60, panes.sidebar.refresh_times)

    async def _mount_footer(self) -> None:
        """The footer, right after the first frame: composed in it, it cost that frame ~10%
        more CPU (measured: 1.36x vs 1.20x a bare app), and the screen was stable no
        sooner (both 1.45x)."""
        await self.mount(KeyFooter())

    def _show_index_progress(self) -> None:
        """The search index's first build (or a big sync) in the status line, while it runs."""
        progress = self.services.search_progress()
        note = ""
        if progress is not None and progress[1] >= INDEX_PROGRESS_FROM:
            note = _("search index {done}/{total}", done=progress[0], total=progress[1])
        self.panes.status.set_note(note)

    def _after_first_frame(self, callback: Callable[..., object], *args: object) -> None:
        """Run ``callback`` once the first frame is on the terminal (see :meth:`first_frame`).

        ``call_after_refresh`` alone is not enough: the first refreshes happen inside the
        batch of updates Textual holds while the app mounts, and are not written.
        """
        if self._first_frame_work is None:
            self.call_after_refresh(callback, *args)
        else:
            self._first_frame_work.append(partial(callback, *args))

    def first_frame(self) -> None:
        """The app is ready (Textual's ``Ready``: its first frame is being written): do the
        work that the first frame did not need, after that frame."""
        work, self._first_frame_work = self._first_frame_work or [], None
        for callback in work:
            self.call_after_refresh(callback)

    # -- messages from the widgets and the workers ---------------------------------------------

    @on(PromptInput.Submitted)
    def _submitted(self, event: PromptInput.Submitted) -> None:
        if not self.conversations.after_open(partial(self._submitted, event)):
            self.replies.submit(event.text)  # else: sent to the conversation being opened

    @on(TextArea.Changed, "#prompt")
    def _prompt_changed(self) -> None:
        self.drafts.changed()
        self.budget.update(typed=True)

    @on(ConversationList.Selected)
    def _selected(self, event: ConversationList.Selected) -> None:
        self.conversations.open(event.conversation_id)

    @on(ConversationList.RenameRequested)
    def _rename(self, event: ConversationList.RenameRequested) -> None:
        self.conversations.rename(event.conversation_id)

    @on(ConversationList.DeleteRequested)
    def _delete(self, event: ConversationList.DeleteRequested) -> None:
        self.conversations.delete(event.conversation_id)

    @on(ConversationList.PinRequested)
    def _pin(self, event: ConversationList.PinRequested) -> None:
        self.library.toggle_pin(event.conversation_id)

    @on(ConversationList.ArchiveRequested)
    def _archive(self, event: ConversationList.ArchiveRequested) -> None:
        self.library.toggle_archive(event.conversation_id)

    @on(ConversationLoaded)
    def _loaded(self, event: ConversationLoaded) -> None:
        self.conversations.loaded(event)

    @on(BudgetCounted)
    def _budget_counted(self, event: BudgetCounted) -> None:
        self.budget.counted(event)

    @on(KeyCommandsRan)
    def _key_commands_ran(self, event: KeyCommandsRan) -> None:
        self.endpoint.ran(event)

    @on(FindBar.Changed)
    def _find_changed(self, event: FindBar.Changed) -> None:
        self.finder.search(event.text)

    @on(FindBar.Moved)
    def _find_moved(self, event: FindBar.Moved) -> None:
        self.finder.step(event.step)

    @on(FindBar.Closed)
    def _find_closed(self) -> None:
        self.finder.closed()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                _("Unexpected error: {error}", error=type(error).__name__),
                severity="error",
                markup=False,
            )

    def on_unmount(self) -> None:
        self.drafts.save_now()
        self.conversations.delete_pending()

    def open_search_hit(self, pick: SearchPick | None) -> None:
        """The search screen closed on a hit (or None): open it."""
        self.finder.open_hit(pick)

    # -- actions: one line each, to a part --------------------------------------------------

    def action_stop(self) -> None:
        """Esc: leave edit mode, else cancel the last queued prompt, else stop the reply."""
        if not (self.drafts.cancel_edit() or self.drafts.unqueue_last()):
            self.replies.stop()

    def action_retry(self) -> None:
        self.replies.retry()

    def action_continue_reply(self) -> None:
        self.replies.continue_reply()

    def action_new_conversation(self) -> None:
        if self.conversation.messages:
            self.show_conversation(Conversation(system_prompt=self.settings.system_prompt))
        self.prompt.focus()

    def action_toggle_sidebar(self) -> None:
        self.panes.side.toggle_class("-hidden")

    def action_focus_log(self) -> None:
        self.panes.log.focus()

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def action_cursor_from_prompt(self, step: int) -> None:
        """Alt+Up / Alt+Down: move the message cursor and focus the chat log."""
        self.panes.log.focus()
        self.panes.log.move_cursor(step)

    def action_details(self) -> None:
        self.library.details()

    def action_find(self) -> None:
        self.finder.find()

    def action_find_previous(self) -> None:
        self.finder.find_previous()

    def action_focus_filter(self) -> None:
        self.library.focus_filter()

    def action_undo_delete(self) -> None:
        self.conversations.undo_delete()

    def action_toggle_archived(self) -> None:
        self.library.toggle_archived()

    def action_pick_profile(self) -> None:
        self._profiles().pick()

    def use_profile(self, name: str) -> None:
        """Make the conversation on screen talk to profile ``name`` ("": the top level)."""
        self._profiles().use(name)

    def _profiles(self) -> Profiles:
        from chattui.ui.main.profiles import Profiles  # with the picker, when first asked

        return Profiles(self, self.shown, self.conversations, self.endpoint, self.budget)

    def action_rename_conversation(self) -> None:
        self.conversations.rename()

    def action_delete_conversation(self) -> None:
        self.conversations.delete()

    def action_toggle_pin(self) -> None:
        self.library.toggle_pin()

    def action_toggle_archive(self) -> None:
        self.library.toggle_archive()

    def action_external_editor(self) -> None:
        self.drafts.external_editor()

    def action_message_menu(self) -> None:
        self.messages.menu()

    def action_copy(self) -> None:
        self.messages.copy()

    def action_copy_message(self) -> None:
        self.messages.copy_message()

    def action_copy_code(self, number: int) -> None:
        self.messages.copy_code(number)

    def action_copy_conversation(self) -> None:
        self.messages.copy_conversation()

    def action_edit_message(self) -> None:
        self.messages.edit()

    def action_regenerate(self) -> None:
        self.messages.regenerate()

    def action_alternative(self, step: int) -> None:
        self.messages.alternative(step)

    def action_quote(self) -> None:
        self.messages.quote()

    def action_delete_turn(self) -> None:
        self.messages.delete_turn()

    def action_toggle_system(self) -> None:
        self.panes.log.toggle_system_prompt()
