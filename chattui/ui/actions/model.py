"""The shape of the table of actions: :class:`Scope` (where a key applies) and :class:`Action`
(one row). The rows are in :mod:`~chattui.ui.actions.app_rows` and
:mod:`~chattui.ui.actions.pane_rows`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from chattui.i18n import _

__all__ = ["UNBOUND", "Action", "Scope", "key_list"]

UNBOUND = "unbound-"
"""Key given to actions that have no default key (palette entries): no terminal sends it, and
``[keys]`` can give the action a real one."""


class Scope(Enum):
    """Where an action applies: the class whose ``BINDINGS`` hold it."""

    APP = "app"
    CHAT = "chat"
    """The main screen, whatever pane has focus."""
    PROMPT = "prompt"
    LOG = "log"
    """The chat log (the messages), when it has focus."""
    SIDEBAR = "sidebar"
    FILTER = "filter"
    FIND = "find"
    SEARCH = "search"
    DIALOG = "dialog"
    """Every dialog's Esc."""
    CONFIRM = "confirm"
    PROBLEM = "problem"
    HELP = "help"
    SETTINGS = "settings"
    DETAILS = "details"
    ROLES = "roles"
    ROLE_EDITOR = "role_editor"

    @property
    def title(self) -> str:
        """The help screen's section title."""
        titles = {
            Scope.APP: _("App"),
            Scope.CHAT: _("Chat"),
            Scope.PROMPT: _("Prompt"),
            Scope.LOG: _("Messages (chat log focused)"),
            Scope.SIDEBAR: _("Sidebar"),
            Scope.FILTER: _("Sidebar"),
            Scope.FIND: _("Find in conversation"),
            Scope.SEARCH: _("Search conversations"),
            Scope.SETTINGS: _("Settings"),
            Scope.DETAILS: _("Conversation details"),
            Scope.ROLES: _("Roles"),
            Scope.ROLE_EDITOR: _("Roles"),
        }
        return titles.get(self, _("Dialogs"))

    @property
    def on_main_screen(self) -> bool:
        """True for the main screen and the widgets on it."""
        return self in _MAIN


_MAIN = frozenset({Scope.CHAT, Scope.PROMPT, Scope.LOG, Scope.SIDEBAR, Scope.FILTER, Scope.FIND})


@dataclass(frozen=True)
class Action:
    """One row of the table."""

    id: str
    """The binding id, and its name in ``[keys]``."""
    keys: str
    """Default keys, comma-separated (Textual's names); "" for none (palette only)."""
    scope: Scope
    action: str
    """The Textual action run in the scope (``regenerate``, ``screen.copy``, ``cursor(-1)``)."""
    title: str
    """Short name: the footer's label and the palette's title."""
    help: str
    """What it does: the help screen's text and the palette's help."""
    footer: int = 0
    """Rank in the footer (1 is shown first; 0: never shown)."""
    palette: bool | str = False
    """Listed in the command palette: True runs :attr:`action`, a string runs that action
    instead (on the main screen; the app's rows on the app)."""
    guarded: bool = False
    """Costs money or changes data: its keys carry a modifier, so a typist never presses one
    by accident (a test checks the table)."""
    priority: bool = False
    """Runs before the focused widget sees the key (Textual's priority binding)."""
    long_title: str = ""
    """The palette's and the actions menu's title, where the short one is not enough."""

    @property
    def default_keys(self) -> list[str]:
        return key_list(self.keys)

    @property
    def palette_action(self) -> str:
        """What the palette runs ("" if it does not list this row)."""
        if isinstance(self.palette, str):
            return self.palette
        return self.action if self.palette else ""


def key_list(keys: str) -> list[str]:
    """``"ctrl+t, f5"`` -> ``["ctrl+t", "f5"]``."""
    return [key.strip() for key in keys.split(",") if key.strip()]
