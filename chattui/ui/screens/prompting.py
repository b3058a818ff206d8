"""Everything about the prompt beyond typing: history across conversations, drafts per
conversation, prompts queued while a reply streams, and the external editor.

The base of :class:`~chattui.ui.screens.main.MainScreen`. History and drafts are written off
the event loop (a thread worker); drafts are saved a second after typing stops, on switching
conversations and on exit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import SuspendNotSupported
from textual.timer import Timer
from textual.widgets import TextArea

from chattui.core.models import Conversation, Message
from chattui.core.prompts import Drafts, PromptHistory
from chattui.core.sanitize import sanitize_line
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.screens.actions import MessageActionsScreen

__all__ = ["PromptScreen"]

DRAFT_SAVE_DELAY = 1.0
"""Seconds after the last keystroke before drafts are written."""


def draft_key(conversation: Conversation) -> str:
    """Drafts of a conversation never saved (no messages yet) are kept under ``""``."""
    return conversation.id if conversation.messages else ""


class PromptScreen(MessageActionsScreen):
    """Prompt history, drafts, the queue and the external editor (see the module docstring)."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._history: PromptHistory | None = None
        self._drafts: Drafts | None = None
        self._queued: dict[str, list[tuple[str, Message | None]]] = {}
        """Prompts sent while a reply streamed, per conversation id (with the message each
        one edits, if any)."""
        self._draft_timer: Timer | None = None

    def setup_prompt(self) -> None:
        """Load history and drafts (small files) and restore the open conversation's draft."""
        data_dir = self.services.paths.data_dir
        self._history = PromptHistory(data_dir / "prompt_history.json")
        self._drafts = Drafts(data_dir / "drafts.json")
        self.prompt.recall = self._history.newest_first()
        self._restore_draft(self.conversation)

    # -- history ---------------------------------------------------------------------------------

    def remember_prompt(self, text: str) -> None:
        """Add a sent prompt to the history and save it in the background."""
        if self._history is not None and self._history.add(text):
            self.prompt.recall = self._history.newest_first()
            self._write(self._history.save)
        if self._drafts is not None:
            self._drafts.set(draft_key(self.conversation), "")
            self._write(self._drafts.save)

    def _save_drafts(self) -> None:
        if self._drafts is not None:
            self._write(self._drafts.save)

    @work(thread=True, group="prompt-files", exit_on_error=False)
    def _write(self, save: Callable[[], None]) -> None:
        try:
            save()
        except OSError as error:
            self.app.call_from_thread(
                self.notify,
                _("Could not save: {error}", error=error.strerror or str(error)),
                severity="warning",
                markup=False,
            )

    # -- drafts ----------------------------------------------------------------------------------

    def switch_draft(self, old: Conversation, new: Conversation) -> None:
        """Keep what the prompt holds as ``old``'s draft and show ``new``'s."""
        if self._drafts is None or old is new:
            return
        if self.editing is not None:
            self.cancel_edit()
        self._drafts.set(draft_key(old), self.prompt.text)
        self._write(self._drafts.save)
        self._restore_draft(new)

    def _restore_draft(self, conversation: Conversation) -> None:
        if self._drafts is None:
            return
        text = self._drafts.get(draft_key(conversation))
        if text != self.prompt.text:
            self.prompt.load_text(text)
            self.prompt.move_cursor(self.prompt.document.end)

    @on(TextArea.Changed, "#prompt")
    def _prompt_changed(self) -> None:
        if self._drafts is None or self.editing is not None:
            return
        self._drafts.set(draft_key(self.conversation), self.prompt.text)
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self._save_drafts)

    def save_drafts_now(self) -> None:
        """Write the drafts at once (on exit; they follow every change of the prompt)."""
        if self._drafts is None:
            return
        with contextlib.suppress(OSError):  # exiting: nothing sensible to show
            self._drafts.save()

    # -- queue -----------------------------------------------------------------------------------

    def enqueue(self, conversation: Conversation, text: str, editing: Message | None) -> None:
        """Keep ``text`` to send when the reply streaming in ``conversation`` ends."""
        self._queued.setdefault(conversation.id, []).append((text, editing))
        self.show_queue()

    def show_queue(self) -> None:
        """Show the prompts queued in the conversation on screen, under the reply."""
        queued = self._queued.get(self.conversation.id, [])
        lines = [
            _("Queued: {text} · Esc cancels", text=sanitize_line(text, 60)) for text, _e in queued
        ]
        self.log_view.set_queued(lines)

    def take_queued(self, conversation: Conversation) -> tuple[str, Message | None] | None:
        """The next queued prompt of ``conversation``, removed from the queue."""
        queue = self._queued.get(conversation.id)
        if not queue:
            return None
        item = queue.pop(0)
        if not queue:
            del self._queued[conversation.id]
        if conversation is self.conversation:
            self.show_queue()
        return item

    def unqueue_last(self) -> bool:
        """Cancel the last prompt queued here; its text goes back to an empty prompt."""
        queue = self._queued.get(self.conversation.id)
        if not queue:
            return False
        text, _editing = queue.pop()
        if not queue:
            del self._queued[self.conversation.id]
        self.show_queue()
        if not self.prompt.text.strip():
            self.prompt.load_text(text)
            self.prompt.move_cursor(self.prompt.document.end)
        self.notify(_("Queued prompt cancelled."))
        return True

    def return_queue(self, conversation: Conversation) -> None:
        """The reply failed: give the queued prompts back instead of sending them."""
        queue = self._queued.pop(conversation.id, [])
        if not queue:
            return
        if conversation is self.conversation:
            self.show_queue()
            if not self.prompt.text.strip():
                self.prompt.load_text("\n\n".join(text for text, _e in queue))
        self.notify(
            _("The reply did not complete, so the queued prompt was not sent."), markup=False
        )

    # -- external editor -------------------------------------------------------------------------

    def action_external_editor(self) -> None:
        """Edit the prompt in $VISUAL / $EDITOR, with the app suspended."""
        environ = self.services.environ if self.services.environ is not None else os.environ
        editor = environ.get("VISUAL") or environ.get("EDITOR") or ""
        command = shlex.split(editor) if editor else []
        if not command:
            self.notify(_("Set $VISUAL or $EDITOR to edit the prompt in your editor."))
            return
        with tempfile.TemporaryDirectory(prefix="chattui-") as directory:
            path = Path(directory) / "prompt.md"
            path.write_text(self.prompt.text, "utf-8")
            try:
                with self.app.suspend():
                    code = self._run_editor([*command, str(path)])
            except SuspendNotSupported:  # e.g. headless: run it anyway
                code = self._run_editor([*command, str(path)])
            if code is None:
                self.notify(
                    _("Could not start the editor: {editor}", editor=command[0]),
                    severity="error",
                    markup=False,
                )
                return
            text = path.read_text("utf-8", errors="replace").rstrip("\n")
        self.prompt.load_text(text)
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.focus()

    @staticmethod
    def _run_editor(command: list[str]) -> int | None:
        try:
            return subprocess.run(command, check=False).returncode
        except OSError:
            return None
