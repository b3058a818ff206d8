"""The left panel: a filter box over the conversation list.

Typing in the box filters the list by title as you type; Down or Enter moves into the list,
Esc clears the filter. In the list, ``/`` jumps back to the box.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input

from chattui.i18n import _
from chattui.ui.widgets.safe_text import SafeInput
from chattui.ui.widgets.sidebar import ConversationList

__all__ = ["FilterInput", "SidePanel"]


class FilterInput(SafeInput):
    """The filter box: Down and Enter go to the list, Esc clears the filter."""

    BINDINGS = [
        Binding(
            "down",
            "to_list",
            _("List"),
            show=False,
            id="filter_to_list",
            tooltip=_("From the filter box into the list"),
        ),
        Binding(
            "escape",
            "clear",
            _("Clear filter"),
            show=False,
            id="clear_filter",
            tooltip=_("Clear the filter"),
        ),
    ]

    def action_to_list(self) -> None:
        self.screen.query_one(ConversationList).focus()

    def action_clear(self) -> None:
        if self.value:
            self.value = ""
        else:
            self.action_to_list()


class SidePanel(Vertical):
    """The filter box and the conversation list (``#sidebar``)."""

    DEFAULT_CSS = """
    SidePanel {
        width: 32; height: 1fr; border-right: vkey $surface-lighten-1; background: $surface;
    }
    SidePanel.-hidden { display: none; }
    SidePanel #sidebar { height: 1fr; border: none; background: $surface; }
    SidePanel #sidebar-filter { margin: 0 1 0 0; background: $boost; }
    SidePanel #sidebar-filter:focus { background: $primary 20%; }
    """

    def compose(self) -> ComposeResult:
        yield FilterInput(placeholder=_("Filter (/)"), id="sidebar-filter", compact=True)
        yield ConversationList(id="sidebar")

    @property
    def filter_box(self) -> FilterInput:
        return self.query_one(FilterInput)

    @on(Input.Changed, "#sidebar-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one(ConversationList).set_filter(event.value)

    @on(Input.Submitted, "#sidebar-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.filter_box.action_to_list()
