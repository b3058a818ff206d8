"""The status line: endpoint and model, what the app is doing, tokens, and the live budget."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

__all__ = ["StatusBar"]


class StatusBar(Horizontal):
    """One line under the prompt: state on the left, the token budget on the right.

    Parts are plain text (never markup).
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    StatusBar #status-left { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusBar #status-budget { width: auto; height: 1; margin-left: 2; }
    StatusBar.-error #status-left { color: $text-error; }
    StatusBar.-busy #status-left { color: $text-accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._endpoint = ""
        self._state = ""
        self._tokens = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="status-left", markup=False)
        yield Static("", id="status-budget", markup=False)

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
        self.query_one("#status-budget", Static).update(text)

    @property
    def text(self) -> str:
        """What the left part shows (for tests)."""
        return " · ".join(p for p in (self._endpoint, self._state, self._tokens) if p)

    def _redraw(self) -> None:
        line = Text(self.text, no_wrap=True, overflow="ellipsis")
        self.query_one("#status-left", Static).update(line)
