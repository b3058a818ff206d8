"""The left panel: a filter box over the conversation list.

Typing in the box filters the list by title as you type; Down or Enter moves into the list,
Esc clears the filter. Alt+F (the main screen's ``focus_filter``) jumps back to the box.

The box is a Textual ``Input``: styling one costs the app's first frame ~10 ms, so the panel
starts with a line that looks the same (:class:`FilterStub`), and the box takes its place when
it is needed: the line is focused (Tab), clicked, or Alt+F pressed. Built right after the first
frame, it changed the screen once more for nothing.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.widgets.safe_text import SafeInput
from chattui.ui.widgets.sidebar import ConversationList

__all__ = ["FilterInput", "FilterStub", "SidePanel"]


class FilterInput(SafeInput):
    """The filter box: Down and Enter go to the list, Esc clears the filter."""

    BINDINGS = bindings(Scope.FILTER)

    def action_to_list(self) -> None:
        self.screen.query_one(ConversationList).focus()

    def action_clear(self) -> None:
        if self.value:
            self.value = ""
        else:
            self.action_to_list()


class FilterStub(Static, can_focus=True):
    """The line standing for the filter box until the box is needed (focus or a click)."""

    def on_focus(self) -> None:
        self._open()

    def on_click(self) -> None:
        self._open()

    def _open(self) -> None:
        panel = self.parent
        if isinstance(panel, SidePanel) and self.is_attached:
            box = panel.filter_box
            self.screen.call_after_refresh(box.focus)  # once it is mounted


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
    SidePanel #sidebar-filter > .input--placeholder { color: $text-muted; }
    SidePanel #sidebar-filter-stub {
        height: 1; margin: 0 1 0 0; background: $boost; color: $text-muted;
    }
    SidePanel:ansi #sidebar-filter-stub { color: ansi_default; text-style: dim; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conversations = ConversationList(id="sidebar")
        """The conversation list."""

    def compose(self) -> ComposeResult:
        yield FilterStub(_("Filter (Alt+F)"), id="sidebar-filter-stub", markup=False)
        yield self.conversations

    @property
    def filter_box(self) -> FilterInput:
        """The filter box, made now if it was not yet."""
        for box in self.query(FilterInput):
            return box
        box = FilterInput(placeholder=_("Filter (Alt+F)"), id="sidebar-filter", compact=True)
        stub = self.query_one("#sidebar-filter-stub")
        self.mount(box, before=stub)
        stub.remove()
        return box

    @on(Input.Changed, "#sidebar-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one(ConversationList).set_filter(event.value)

    @on(Input.Submitted, "#sidebar-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.filter_box.action_to_list()
