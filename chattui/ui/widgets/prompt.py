"""The prompt: a multi-line TextArea where Enter sends and Ctrl+J / Shift+Enter add a newline.

Pasted text arrives as one Paste event, never as key presses, so a multi-line paste never
sends and is inserted whole, however large.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message

from chattui.ui.widgets.safe_text import SafeTextArea

__all__ = ["PromptInput"]


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
