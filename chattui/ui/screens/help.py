"""The help screen (F1): every key as it is bound now (``[keys]`` applied), from
:mod:`chattui.ui.keys`."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from chattui import __version__
from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.actions.keymap import help_sections

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    """Lists every key binding; Esc, F1 or q closes it."""

    BINDINGS = bindings(Scope.HELP)

    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        keymap = getattr(self.app, "keymap", {})
        for section, keys in help_sections(keymap):
            table.add_row(Text(section, style="underline"), "")
            for key, description in keys:
                table.add_row(Text(key), Text(description))
            table.add_row("", "")
        table.add_row(Text(f"chattui {__version__}", style="dim"), Text(_("Esc closes"), "dim"))
        with VerticalScroll() as scroll:
            scroll.border_title = _("Keys")
            yield Static(table)

    def action_cancel(self) -> None:
        self.dismiss()
