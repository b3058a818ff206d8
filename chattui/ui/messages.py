"""Requests that screens send up to the app (attributes down, messages up): a screen never
calls the app's actions directly."""

from __future__ import annotations

from textual.message import Message

__all__ = ["CopyRequested", "SettingsRequested"]


class SettingsRequested(Message):
    """Open the settings (e.g. to set an API key first)."""


class CopyRequested(Message):
    """Copy ``text`` to the clipboard and say what was copied (``what``)."""

    def __init__(self, text: str, what: str) -> None:
        super().__init__()
        self.text = text
        """What to copy."""
        self.what = what
        """How the notice names it ("the reply", "code block 2")."""
