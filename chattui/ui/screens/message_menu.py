"""The actions menu of the message under the cursor (Enter in the chat log)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from chattui.ui.actions import Scope, bindings

__all__ = ["MessageMenuScreen"]


class MessageMenuScreen(ModalScreen[str | None]):
    """A list of (action, label, key); dismisses with the chosen action, None on Esc."""

    BINDINGS = bindings(Scope.DIALOG)
    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, title: str, actions: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.actions = list(actions)

    def compose(self) -> ComposeResult:
        from rich.text import Text

        options = []
        for action, label, key in self.actions:
            prompt = Text(label)
            if key:
                prompt.append(f"  {key}", style="dim")
            options.append(Option(prompt, id=action))
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield OptionList(*options)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
