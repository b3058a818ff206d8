"""The prompt: a multi-line TextArea where Enter sends and Ctrl+J / Shift+Enter add a newline.

Pasted text arrives as one Paste event, never as key presses, so a multi-line paste never
sends and is inserted whole, however large. Enter and the newline keys are handled as they
arrive, in order with the characters around them, even when a terminal delivers many keys at
once (laggy SSH).
"""

from __future__ import annotations

from textual import events
from textual.message import Message

from chattui.ui.actions import Scope, bindings
from chattui.ui.widgets.safe_text import SafeTextArea

__all__ = ["PromptInput"]


class PromptInput(SafeTextArea):
    """Where the user types; posts :class:`PromptInput.Submitted` on Enter."""

    BINDINGS = bindings(Scope.PROMPT)

    recall: list[str]
    """Earlier prompts, newest first, that Up and Down recall."""

    class Submitted(Message):
        """The user pressed Enter with text in the prompt (the prompt is empty by now; a
        handler that does not take the text gives it back with :meth:`give_back`)."""

        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            compact=True,
            placeholder=placeholder,
        )
        self.recall = []
        self._recalled = -1
        """Index in :attr:`recall` of the prompt shown (-1: the user's own text)."""
        self._stash = ""
        """The user's own text, kept while browsing the history."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key in self._send_keys():
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if any(b.action == "newline" for b in self._bindings.key_to_bindings.get(event.key, ())):
            # Handled here, in order: as a binding it would run only once the key had bubbled
            # up to the app, after the keys typed behind it (one fast write over SSH holds
            # several), and "one⏎two" would become "onetwo⏎".
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        await super()._on_key(event)

    def _send_keys(self) -> set[str]:
        """The keys that send: Enter, or what ``[keys] send`` says."""
        keymap = getattr(self.app, "keymap", {})
        return set(keymap.get("send", "enter").split(","))

    def action_submit(self) -> None:
        """Send the prompt (Enter by default), unless it is blank."""
        text = self.text
        if text.strip():
            # Emptied now, not by the screen later: keys typed right after Enter (one fast
            # write holds several) land in the empty prompt instead of being cleared away.
            self.clear()
            self._recalled = -1
            self.post_message(self.Submitted(self, text))

    def action_cursor_up(self, select: bool = False) -> None:
        """Up on the first line recalls the previous prompt of the history."""
        if (
            select
            or not self.navigator.is_first_wrapped_line(self.cursor_location)
            or not self._browse(1)
        ):
            super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        """Down on the last line goes forward in the history, back to the user's own text."""
        if (
            select
            or not self.navigator.is_last_wrapped_line(self.cursor_location)
            or not self._browse(-1)
        ):
            super().action_cursor_down(select)

    def _browse(self, step: int) -> bool:
        index = self._recalled + step
        if index < -1 or index >= len(self.recall):
            return False
        if self._recalled == -1:
            self._stash = self.text
        text = self._stash if index == -1 else self.recall[index]
        self.load_text(text)
        self._recalled = index
        self.move_cursor(self.document.end)
        return True

    def load_text(self, text: str) -> None:
        """Replace the text; browsing the history starts again from the newest prompt."""
        self._recalled = -1
        super().load_text(text)

    def give_back(self, text: str) -> None:
        """Put back a submitted prompt that was not sent, before anything typed since."""
        self.load_text(text + self.text)
        self.move_cursor(self.document.end)

    def action_newline(self) -> None:
        """Insert a line break at the cursor."""
        self.insert("\n")
