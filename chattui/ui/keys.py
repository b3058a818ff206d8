"""The default keys, described once: the bindings, the help screen and the README use these."""

from __future__ import annotations

from chattui.i18n import _

__all__ = ["KEY_HELP"]


def KEY_HELP() -> list[tuple[str, list[tuple[str, str]]]]:
    """Sections of (key, what it does), translated at call time."""
    return [
        (
            _("Chat"),
            [
                ("Enter", _("Send the prompt")),
                ("Ctrl+J / Shift+Enter", _("New line in the prompt")),
                ("Esc", _("Stop the reply that is streaming / close a dialog")),
                ("Ctrl+R", _("Retry the last failed or stopped reply")),
                ("Ctrl+G", _("Continue a stopped or cut-short reply where it ended")),
                ("Ctrl+N", _("New conversation")),
                ("Ctrl+B", _("Show or hide the sidebar")),
                ("Ctrl+L", _("Focus the conversation (scroll with arrows, PgUp/PgDn)")),
                ("Tab / Shift+Tab", _("Move focus")),
            ],
        ),
        (
            _("Sidebar"),
            [
                ("Enter", _("Open the conversation")),
                ("r", _("Rename it")),
                ("Delete", _("Delete it (asks first)")),
            ],
        ),
        (
            _("App"),
            [
                ("F1", _("This help")),
                ("F2", _("Settings")),
                ("Ctrl+P", _("Command palette")),
                ("Ctrl+Q", _("Quit")),
            ],
        ),
    ]
