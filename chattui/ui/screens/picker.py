"""A list to pick one value from (themes, endpoint profiles), optionally previewing as the
highlight moves.

Enter picks the highlighted value; Esc cancels. With ``preview``, moving the highlight calls it
with each value in turn (the theme picker applies the theme live); the caller restores the
original on cancel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from chattui.i18n import _
from chattui.ui.actions import Scope, bindings

__all__ = ["PickerScreen"]


class PickerScreen(ModalScreen[str | None]):
    """Dismisses with the picked value, or None when cancelled."""

    BINDINGS = bindings(Scope.DIALOG)

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[str, str]],
        current: str | None = None,
        *,
        hint: str = "",
        preview: Callable[[str], None] | None = None,
    ) -> None:
        """``choices`` are (label, value) pairs; labels are plain text, never markup."""
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current
        self.hint = hint
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = self.title_text
            frame.border_subtitle = _("Enter picks · Esc cancels")
            if self.hint:  # above the list, so that a long list never hides it
                yield Static(self.hint, classes="hint", markup=False)
            yield OptionList(
                *(Option(Text(label), id=value) for label, value in self.choices), id="choices"
            )

    def on_mount(self) -> None:
        options = self.query_one("#choices", OptionList)
        values = [value for _label, value in self.choices]
        if self.current in values:
            options.highlighted = values.index(self.current)
        options.focus()

    @on(OptionList.OptionHighlighted, "#choices")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.preview is not None and event.option.id is not None:
            self.preview(event.option.id)

    @on(OptionList.OptionSelected, "#choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
