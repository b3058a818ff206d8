"""The find bar under the chat: a search box for the open conversation, with next / previous.

It only reports what the user does (:class:`FindBar.Changed`, :class:`FindBar.Moved`,
:class:`FindBar.Closed`); the screen finds the matches and tells it the count to show.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.widgets.safe_text import SafeInput

__all__ = ["FindBar"]


class FindBar(Horizontal):
    """A one-line search box with a "3/17" counter; hidden until :meth:`open`."""

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; background: $surface; padding: 0 1; }
    FindBar.-open { display: block; }
    FindBar > Label { width: auto; color: $text-muted; padding: 0 1; }
    FindBar > #find-count { min-width: 9; }
    FindBar > SafeInput { width: 1fr; height: 1; border: none; padding: 0; }
    FindBar > SafeInput:focus { border: none; }
    """

    BINDINGS = bindings(Scope.FIND)

    class Changed(Message):
        """The text to find changed."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Moved(Message):
        """The user asked for the next (``step`` 1) or previous (-1) match."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class Closed(Message):
        """The user closed the bar."""

    def compose(self) -> ComposeResult:
        # The bar is hidden until first opened: its widgets are made then (:meth:`_build`),
        # not before the app's first frame.
        return iter(())

    def _build(self) -> None:
        if self.query("#find-input"):
            return
        self.mount(
            Label(_("Find:")),
            SafeInput(id="find-input", placeholder=_("text in this conversation")),
            Label("", id="find-count"),
            Label(_("↓/Enter next · ↑ previous · Esc close"), id="find-hint"),
        )

    @property
    def input(self) -> SafeInput:
        self._build()
        return self.query_one("#find-input", SafeInput)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def text(self) -> str:
        found = self.query("#find-input")
        return str(found.first(SafeInput).value) if found else ""

    def open(self, text: str | None = None) -> None:
        """Show the bar and focus it; ``text`` replaces what it held."""
        self.add_class("-open")
        if text is not None and text != self.input.value:
            with self.input.prevent(Input.Changed):
                self.input.value = text
            self.input.cursor_position = len(text)
        self.input.focus()

    def hide(self) -> None:
        self.remove_class("-open")

    def set_count(self, current: int | None, total: int) -> None:
        """Show "current/total" (1-based), or that nothing matches."""
        self._build()
        label = self.query_one("#find-count", Label)
        if not self.text.strip():
            label.update("")
        elif total == 0:
            label.update(_("no matches"))
        else:
            label.update(f"{current or 0}/{total}")

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Moved(1))

    def action_move(self, step: int) -> None:
        self.post_message(self.Moved(step))

    def action_close(self) -> None:
        self.hide()
        self.post_message(self.Closed())
