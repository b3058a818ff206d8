"""The prompt: a multi-line TextArea where Enter sends and Ctrl+J / Shift+Enter add a newline.

Pasted text arrives as one Paste event, never as key presses, so a multi-line paste never
sends and is inserted whole, however large.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from chattui.core.sanitize import show_controls

__all__ = ["PromptInput", "SafeTextArea"]


class SafeTextArea(TextArea):
    """A TextArea that never draws control characters raw."""

    def get_line(self, line_index: int) -> Text:
        """The line as drawn: control characters (a pasted escape sequence) are shown as
        visible stand-ins (``␛``), one for one, so none reaches the terminal; the text
        itself, and what is sent, stay exactly as typed."""
        line = super().get_line(line_index)
        line.plain = show_controls(line.plain)
        return line


class PromptInput(SafeTextArea):
    """Where the user types; posts :class:`PromptInput.Submitted` on Enter."""

    BINDINGS = [
        Binding("ctrl+j,shift+enter", "newline", "Newline", show=False),
    ]

    class Submitted(Message):
        """The user pressed Enter with text in the prompt."""

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

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                self.post_message(self.Submitted(self, self.text))
            return
        await super()._on_key(event)

    def action_newline(self) -> None:
        """Insert a line break at the cursor."""
        self.insert("\n")
