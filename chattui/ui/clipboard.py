"""Copy text the two ways that cover local and remote sessions, and say what happened.

The terminal gets the text through OSC 52 (Textual's ``copy_to_clipboard``), which also works
over SSH in terminals that support it; the platform's clipboard tool gets it too where one is
reachable (see :mod:`chattui.core.clipboard`), off the event loop. Neither missing is an error.
"""

from __future__ import annotations

from chattui.i18n import _, ngettext

__all__ = ["copied_notice"]


def copied_notice(what: str, text: str, tool: str | None) -> str:
    """``Copied code block 2: 42 lines (xclip + terminal)``."""
    lines = text.count("\n") + 1 if text else 0
    how = _("{tool} + terminal", tool=tool) if tool else _("terminal")
    return ngettext(
        "Copied {what}: {lines} line ({how})",
        "Copied {what}: {lines} lines ({how})",
        lines,
        what=what,
        lines=lines,
        how=how,
    )
