"""Small dialogs: yes/no confirmation and one-line text entry."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.widgets.safe_text import SafeInput

__all__ = ["ConfirmScreen", "ProblemScreen", "TextInputScreen"]


class ConfirmScreen(ModalScreen[bool]):
    """Asks a yes/no question; dismisses with True for yes."""

    BINDINGS = bindings(Scope.CONFIRM)
    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, question: str, yes: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes = yes or _("Yes")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)
            with Horizontal():
                yield Button(_("Cancel"), id="no")
                yield Button(self.yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ProblemScreen(ModalScreen[bool]):
    """Shows an error and offers the action that fixes it; dismisses with True to take it."""

    BINDINGS = bindings(Scope.PROBLEM)
    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, text: str, action: str) -> None:
        super().__init__()
        self.text = text
        self.action = action

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = _("Error")
            yield Label(self.text, markup=False)
            with Horizontal():
                yield Button(_("Later"), id="later")
                yield Button(self.action, id="act", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#act", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "act")

    def action_cancel(self) -> None:
        self.dismiss(False)


class TextInputScreen(ModalScreen[str | None]):
    """Asks for one line of text; dismisses with it, or None when cancelled."""

    BINDINGS = bindings(Scope.DIALOG)
    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield SafeInput(self.value, id="value")
            with Horizontal():
                yield Button(_("Cancel"), id="cancel")
                yield Button(_("OK"), id="ok", variant="primary")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one(Input).value if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
