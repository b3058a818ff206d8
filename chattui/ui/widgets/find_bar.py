"""The find bar under the chat: a search box for the open conversation, with next / previous.

It only reports what the user does (:class:`FindBar.Changed`, :class:`FindBar.Moved`,
:class:`FindBar.Closed`); the screen finds the matches and tells it the count to show.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.widgets.safe_text import SafeInput

__all__ = ["FindBar"]

MIN_FIELD = 20
"""The query field keeps at least this many cells: the hint gives way first."""


class FindBar(Horizontal):
    """A one-line search box with a "3/17" counter; hidden until :meth:`open`."""

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; background: $surface; padding: 0 1; }
    FindBar.-open { display: block; }
    FindBar > Label { width: auto; color: $text-muted; padding: 0 1; }
    FindBar > #find-count { min-width: 9; }
    FindBar > #find-hint.-hidden { display: none; }
    FindBar > SafeInput { width: 1fr; height: 1; border: none; padding: 0; }
    FindBar > SafeInput:focus { border: none; }
    """

    BINDINGS = bindings(Scope.FIND)

    _count = ""
    """What the counter shows ("3/17", "no matches")."""

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
            Label("", id="find-hint"),
        )
        self._fit_hint()

    def on_resize(self) -> None:
        self._fit_hint()

    def _fit_hint(self) -> None:
        """The longest hint that leaves the field :data:`MIN_FIELD` cells, or none, and the
        placeholder that fits the field: shown whole or not at all (the footer has the keys)."""
        found = self.query("#find-hint")
        if not found:
            return
        hint = found.first(Label)
        padding = 2  # each label's
        taken = self.styles.gutter.width + cell_len(_("Find:")) + padding
        taken += max(9, cell_len(self._count)) + padding
        hints = (_("↓/Enter next · ↑ previous · Esc close"), _("Esc close"))
        room = self.size.width - taken - MIN_FIELD - padding
        fitting = next((text for text in hints if cell_len(text) <= room), "")
        hint.update(fitting)
        hint.set_class(not fitting, "-hidden")
        field = self.size.width - taken - (cell_len(fitting) + padding if fitting else 0)
        placeholder = _("text in this conversation")
        self.input.placeholder = placeholder if cell_len(placeholder) < field else _("find…")

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
        if not self.text.strip():
            self._count = ""
        elif total == 0:
            self._count = _("no matches")
        else:
            self._count = f"{current or 0}/{total}"
        self.query_one("#find-count", Label).update(self._count)
        self._fit_hint()

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
