"""The one table of actions: every key of chattui, where it applies, and what it is called.

Each :class:`Action` row gives an id (the ``[keys]`` name), its default keys, the scope where it
applies (the app, the main screen, the prompt, the chat log, a dialog...), the Textual action it
runs there, a title and a help text in the user's language, its rank in the footer and whether
the command palette lists it. Everything else is built from the table:

- each class's ``BINDINGS`` (:func:`bindings`), so a key is declared in one place;
- the footer (:class:`~chattui.ui.widgets.key_footer.KeyFooter`), by rank, whole labels only;
- the help screen and the check of the user's ``[keys]`` (:mod:`chattui.ui.actions.keymap`);
- the command palette's entries (:func:`palette_actions`).

Rules the table keeps (a test checks them): an action that costs money or changes data
(``guarded``) has only keys with a modifier, and the panes that do not take text (the chat
log, the sidebar) send typed characters to the prompt, so a typist never fires one by accident.
"""

from __future__ import annotations

from functools import cache

from textual.binding import Binding, BindingType

from chattui.i18n import get_language
from chattui.ui.actions.app_rows import app_rows
from chattui.ui.actions.model import UNBOUND, Action, Scope, key_list
from chattui.ui.actions.pane_rows import pane_rows

__all__ = [
    "UNBOUND",
    "Action",
    "Scope",
    "action_table",
    "bindings",
    "find_action",
    "key_list",
    "palette_actions",
]


@cache
def _table(language: str) -> tuple[Action, ...]:
    return (*app_rows(), *pane_rows())


def action_table() -> tuple[Action, ...]:
    """Every action, in the user's language."""
    return _table(get_language())


def find_action(action_id: str) -> Action | None:
    """The row with this id."""
    return next((row for row in action_table() if row.id == action_id), None)


def bindings(scope: Scope) -> list[BindingType]:
    """The ``BINDINGS`` of the class that owns ``scope``."""
    return [
        Binding(
            row.keys or UNBOUND + row.id,
            row.action,
            row.title,
            show=row.footer > 0,
            id=row.id,
            tooltip=row.help,
            priority=row.priority,
        )
        for row in action_table()
        if row.scope is scope
    ]


def palette_actions() -> list[Action]:
    """The rows the command palette lists, in the table's order."""
    return [row for row in action_table() if row.palette_action]
