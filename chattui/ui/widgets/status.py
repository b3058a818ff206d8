"""The status line: endpoint and model, what the app is doing, and token counts."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["StatusBar"]


class StatusBar(Static):
    """One line under the prompt. Parts are plain text (never markup)."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    StatusBar.-error { color: $text-error; }
    StatusBar.-busy { color: $text-accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._endpoint = ""
        self._state = ""
        self._tokens = ""
        self._budget = Text()

    def set_endpoint(self, text: str) -> None:
        self._endpoint = text
        self._redraw()

    def set_state(self, text: str, kind: str = "") -> None:
        """``kind`` is "", "busy" or "error" (changes the colour)."""
        self._state = text
        self.set_class(kind == "busy", "-busy")
        self.set_class(kind == "error", "-error")
        self._redraw()

    def set_tokens(self, text: str) -> None:
        self._tokens = text
        self._redraw()

    def set_budget(self, text: Text) -> None:
        self._budget = text
        self._redraw()

    def _redraw(self) -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        parts = [part for part in (self._endpoint, self._state, self._tokens) if part]
        line.append(" · ".join(parts))
        if self._budget:
            line.append("  ")
            line.append_text(self._budget)
        self.update(line)
