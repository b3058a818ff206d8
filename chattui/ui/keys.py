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
                ("Up / Down", _("Earlier prompts (in an empty prompt or at its first/last line)")),
                ("Ctrl+E", _("Edit the prompt in $VISUAL / $EDITOR")),
                ("Alt+Up / Alt+Down", _("Message cursor: move over messages and code blocks")),
                ("Esc", _("Stop the reply / cancel a queued prompt or an edit / close a dialog")),
                ("Ctrl+R", _("Retry the last failed or stopped reply")),
                ("Ctrl+G", _("Continue a stopped or cut-short reply where it ended")),
                ("Ctrl+N", _("New conversation")),
                ("F3", _("Conversation details: title, model, system prompt, parameters")),
                ("Ctrl+B", _("Show or hide the sidebar")),
                ("Ctrl+L", _("Focus the conversation (scroll with arrows, PgUp/PgDn)")),
                ("Ctrl+F", _("Search all conversations")),
                ("F4 / Shift+F4", _("Find in this conversation: next / previous match")),
                ("Tab / Shift+Tab", _("Move focus")),
            ],
        ),
        (
            _("Messages (chat log focused)"),
            [
                ("Up / Down", _("Move the cursor over messages and code blocks")),
                ("Enter", _("Actions of the message under the cursor")),
                ("c", _("Copy the selection, code block or message")),
                ("1 … 9", _("Copy code block N of the reply")),
                ("y", _("Copy the conversation as Markdown")),
                ("e", _("Edit and resend your message (new branch)")),
                ("r", _("Regenerate the reply (the old one is kept)")),
                ("← / →", _("Previous / next alternative (◀ 2/3 ▶)")),
                ("q", _("Quote into the prompt")),
                ("d / Delete", _("Delete the turn (asks first)")),
                ("s", _("Expand or collapse the system prompt")),
                ("Tab / i", _("Back to the prompt")),
                (_("Mouse drag"), _("Select text; c or Ctrl+C copies it")),
            ],
        ),
        (
            _("Sidebar"),
            [
                ("Enter", _("Open the conversation")),
                ("r", _("Rename it")),
                ("Delete", _("Delete it (u undoes it for a few seconds)")),
                ("p / a", _("Pin it (listed first) / archive it (hidden); again to undo")),
                ("Shift+A", _("Show or hide archived conversations")),
                ("/", _("Filter the list by title (type; Down enters the list, Esc clears)")),
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
