"""Text fields that never draw control characters raw.

A pasted escape sequence stays in the value exactly as typed (and is sent or saved so), but is
drawn as visible stand-ins (``␛``), one for one, so nothing reaches the terminal.

Both apply the keys of a burst in the order they arrived (:class:`OrderedKeys`).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input, TextArea

from chattui.core.sanitize import show_controls
from chattui.ui.widgets.ordered_keys import OrderedKeys

__all__ = ["SafeInput", "SafeTextArea"]


class SafeTextArea(OrderedKeys, TextArea):
    """A TextArea that never draws control characters raw."""

    def get_line(self, line_index: int) -> Text:
        """The line as drawn, with control characters shown as stand-ins."""
        line = super().get_line(line_index)
        line.plain = show_controls(line.plain)
        return line


class SafeInput(OrderedKeys, Input):
    """An Input that never draws control characters raw."""

    @property
    def _value(self) -> Text:
        text = super()._value
        text.plain = show_controls(text.plain)
        return text
