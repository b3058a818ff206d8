"""The prompt beyond typing: history across conversations, drafts per conversation, prompts
queued while a reply streams, editing an earlier message, and the external editor.

History and drafts are written off the event loop (a thread worker); drafts are saved a second
after typing stops, on switching conversations and on exit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.app import SuspendNotSupported
from textual.screen import Screen
from textual.timer import Timer

from chattui.core.models import Conversation, Message
from chattui.core.prompts import Drafts, PromptHistory
from chattui.core.sanitize import sanitize_line
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.main.panes import Panes, Shown

__all__ = ["PromptDrafts"]

DRAFT_SAVE_DELAY = 1.0
"""Seconds after the last keystroke before drafts are written."""


def draft_key(conversation: Conversation) -> str:
    """Drafts of a conversation never saved (no messages yet) are kept under ``""``."""
    return conversation.id if conversation.messages else ""


class PromptDrafts:
    """History, drafts, the queue, edit mode and the external editor (see the module doc)."""

    def __init__(self, screen: Screen[None], services: Services, shown: Shown, panes: Panes):
        self._screen = screen
        self._services = services
        self._shown = shown
        self._panes = panes
        self._history: PromptHistory | None = None
        self._drafts: Drafts | None = None
        self._queued: dict[str, list[tuple[str, Message | None]]] = {}
        """Prompts sent while a reply streamed, per conversation id (with the message each
        one edits, if any)."""
        self._timer: Timer | None = None
        self.editing: Message | None = None
        """The earlier user message being edited in the prompt (sending makes a new branch)."""
        self._edit_stash = ""

    def setup(self) -> None:
        """Load history and drafts (small files) and restore the open conversation's draft."""
        data_dir = self._services.paths.data_dir
        self._history = PromptHistory(data_dir / "prompt_history.json")
        self._drafts = Drafts(data_dir / "drafts.json")
        self._panes.prompt.recall = self._history.newest_first()
        self._restore(self._shown.conversation)

    # -- history ---------------------------------------------------------------------------------

    def remember(self, text: str) -> None:
        """Add a sent prompt to the history and save it in the background."""
        if self._history is not None and self._history.add(text):
            self._panes.prompt.recall = self._history.newest_first()
            self._write(self._history.save)
        if self._drafts is not None:
            self._drafts.set(draft_key(self._shown.conversation), "")
            self._write(self._drafts.save)

    def _write(self, save: Callable[[], None]) -> None:
        self._screen.run_worker(
            partial(self._save_file, save),
            thread=True,
            group="prompt-files",
            exit_on_error=False,
        )

    def _save_file(self, save: Callable[[], None]) -> None:
        try:
            save()
        except OSError as error:
            self._screen.app.call_from_thread(
                self._screen.notify,
                _("Could not save: {error}", error=error.strerror or str(error)),
                severity="warning",
                markup=False,
            )

    # -- drafts ----------------------------------------------------------------------------------

    def switch(self, old: Conversation, new: Conversation) -> None:
        """Keep what the prompt holds as ``old``'s draft and show ``new``'s."""
        if self._drafts is None or old is new:
            return
        if self.editing is not None:
            self.cancel_edit()
        self._drafts.set(draft_key(old), self._panes.prompt.text)
        self._write(self._drafts.save)
        self._restore(new)

    def _restore(self, conversation: Conversation) -> None:
        if self._drafts is None:
            return
        text = self._drafts.get(draft_key(conversation))
        if text != self._panes.prompt.text:
            self._load(text)

    def _load(self, text: str) -> None:
        prompt = self._panes.prompt
        prompt.load_text(text)
        prompt.move_cursor(prompt.document.end)

    def changed(self) -> None:
        """The prompt's text changed: keep it as the draft (written after a pause)."""
        if self._drafts is None or self.editing is not None:
            return
        self._drafts.set(draft_key(self._shown.conversation), self._panes.prompt.text)
        if self._timer is not None:
            self._timer.stop()
        drafts = self._drafts
        self._timer = self._screen.set_timer(DRAFT_SAVE_DELAY, lambda: self._write(drafts.save))

    def save_now(self) -> None:
        """Write the drafts at once (on exit; they follow every change of the prompt)."""
        if self._drafts is None:
            return
        with contextlib.suppress(OSError):  # exiting: nothing sensible to show
            self._drafts.save()

    # -- edit mode -------------------------------------------------------------------------------

    def edit(self, message: Message) -> None:
        """Put ``message`` (an earlier one of the user's) in the prompt to edit and resend."""
        if self.editing is None:
            self._edit_stash = self._panes.prompt.text
        self.editing = message
        self._load(message.content)
        self._panes.set_note(
            _("Editing an earlier message: Enter sends it as a new branch · Esc cancels")
        )
        self._panes.prompt.focus()

    def take_edit(self) -> Message | None:
        """The message being edited, as the prompt is sent (edit mode ends)."""
        editing, self.editing = self.editing, None
        self._panes.set_note(None)
        return editing

    def cancel_edit(self) -> bool:
        """Leave edit mode, giving back what the prompt held before; False if not editing."""
        if self.editing is None:
            return False
        self.editing = None
        self._panes.set_note(None)
        self._load(self._edit_stash)
        self._edit_stash = ""
        return True

    # -- queue -----------------------------------------------------------------------------------

    def enqueue(self, conversation: Conversation, text: str, editing: Message | None) -> None:
        """Keep ``text`` to send when the reply streaming in ``conversation`` ends."""
        self._queued.setdefault(conversation.id, []).append((text, editing))
        self.show_queue()

    def show_queue(self) -> None:
        """Show the prompts queued in the conversation on screen, under the reply."""
        queued = self._queued.get(self._shown.conversation.id, [])
        lines = [
            _("Queued: {text} · Esc cancels", text=sanitize_line(text, 60)) for text, _e in queued
        ]
        self._panes.log.set_queued(lines)

    def take_queued(self, conversation: Conversation) -> tuple[str, Message | None] | None:
        """The next queued prompt of ``conversation``, removed from the queue."""
        queue = self._queued.get(conversation.id)
        if not queue:
            return None
        item = queue.pop(0)
        if not queue:
            del self._queued[conversation.id]
        if self._shown.is_shown(conversation):
            self.show_queue()
        return item

    def unqueue_last(self) -> bool:
        """Cancel the last prompt queued here; its text goes back to an empty prompt."""
        conversation_id = self._shown.conversation.id
        queue = self._queued.get(conversation_id)
        if not queue:
            return False
        text, _editing = queue.pop()
        if not queue:
            del self._queued[conversation_id]
        self.show_queue()
        if not self._panes.prompt.text.strip():
            self._load(text)
        self._screen.notify(_("Queued prompt cancelled."))
        return True

    def return_queue(self, conversation: Conversation) -> None:
        """The reply failed: give the queued prompts back instead of sending them."""
        queue = self._queued.pop(conversation.id, [])
        if not queue:
            return
        if self._shown.is_shown(conversation):
            self.show_queue()
            if not self._panes.prompt.text.strip():
                self._panes.prompt.load_text("\n\n".join(text for text, _e in queue))
        self._screen.notify(
            _("The reply did not complete, so the queued prompt was not sent."), markup=False
        )

    # -- external editor -------------------------------------------------------------------------

    def external_editor(self) -> None:
        """Edit the prompt in $VISUAL / $EDITOR, with the app suspended."""
        environ = self._services.environ if self._services.environ is not None else os.environ
        editor = environ.get("VISUAL") or environ.get("EDITOR") or ""
        command = shlex.split(editor) if editor else []
        if not command:
            self._screen.notify(_("Set $VISUAL or $EDITOR to edit the prompt in your editor."))
            return
        with tempfile.TemporaryDirectory(prefix="chattui-") as directory:
            path = Path(directory) / "prompt.md"
            path.write_text(self._panes.prompt.text, "utf-8")
            try:
                with self._screen.app.suspend():
                    code = _run_editor([*command, str(path)])
            except SuspendNotSupported:  # e.g. headless: run it anyway
                code = _run_editor([*command, str(path)])
            if code is None:
                self._screen.notify(
                    _("Could not start the editor: {editor}", editor=command[0]),
                    severity="error",
                    markup=False,
                )
                return
            text = path.read_text("utf-8", errors="replace").rstrip("\n")
        self._load(text)
        self._panes.prompt.focus()


def _run_editor(command: list[str]) -> int | None:
    try:
        return subprocess.run(command, check=False).returncode
    except OSError:
        return None
