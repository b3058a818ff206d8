"""The status line: what the app is doing, the model, tokens, the endpoint, and the budget."""

from __future__ import annotations

from time import monotonic

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import Static

__all__ = ["StatusBar"]

SEPARATOR = " · "
BUSY_TOKENS_INTERVAL = 0.5
"""Seconds between redraws for a new token count while busy (a redraw costs a few ms)."""


class StatusBar(Horizontal):
    """One line under the prompt: the state and the model on the left, the budget on the right.

    Laid out again for every width: what matters comes first (state, model, the endpoint
    profile's name, what is left of the context window), then the reply's tokens and the
    whole endpoint (``profile: host via proxy``) while they fit; the budget shows its whole
    sum only when there is room. Parts are plain text (never markup).
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
        self._host = ""
        self._profile = ""
        self._model = ""
        self._state = ""
        self._tokens = ""
        self._note = ""
        self._budgets: tuple[Text, ...] = ()
        self._shown: tuple[Text, Text] | None = None
        self._busy = False
        self._drawn_at = 0.0
        self._due: Timer | None = None
        """What the two parts show now (a redraw that changes nothing costs nothing)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="status-left", markup=False)
        yield Static("", id="status-budget", markup=False)

    def set_endpoint(self, host: str, model: str, profile: str = "") -> None:
        """Where requests go (host, and proxy if any), the model they name, and the endpoint
        profile (shown first in the endpoint part, and kept when the host does not fit)."""
        self._host = host
        self._model = model
        self._profile = profile
        self._redraw()

    @property
    def _endpoint(self) -> str:
        return f"{self._profile}: {self._host}" if self._profile else self._host

    def set_state(self, text: str, kind: str = "") -> None:
        """``kind`` is "", "busy" or "error" (changes the colour)."""
        self._state = text
        self._busy = kind == "busy"
        self.set_class(kind == "busy", "-busy")
        self.set_class(kind == "error", "-error")
        self._redraw()

    def set_tokens(self, text: str) -> None:
        """The reply's tokens; while busy (streaming), shown at most twice a second."""
        self._tokens = text
        if not self._busy or not self.is_mounted:
            self._redraw()
            return
        wait = self._drawn_at + BUSY_TOKENS_INTERVAL - monotonic()
        if wait <= 0:
            self._redraw()
        elif self._due is None:
            self._due = self.set_timer(wait, self._redraw_due)

    def set_note(self, text: str) -> None:
        """Background work worth knowing of (the search index being built), shown after the
        reply's tokens while it fits; "" for none."""
        if text != self._note:
            self._note = text
            self._redraw()

    def _redraw_due(self) -> None:
        self._due = None  # this timer has fired: nothing to stop
        self._redraw()

    def set_budget(self, *variants: Text) -> None:
        """The budget, longest first: the first that fits beside the state and the model is
        shown (none if none does)."""
        self._budgets = variants
        self._redraw()

    @property
    def text(self) -> str:
        """Every part of the left side, whatever the width (for tests)."""
        return SEPARATOR.join(
            self._parts(self._state, self._model, self._tokens, self._note, self._endpoint)
        )

    @staticmethod
    def _parts(*parts: str) -> list[str]:
        return [part for part in parts if part]

    def on_resize(self, event: Resize) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        if self._due is not None:
            self._due.stop()
            self._due = None
        self._drawn_at = monotonic()
        width = self.content_region.width or self.app.size.width - 2
        essential = SEPARATOR.join(self._parts(self._state, self._model, self._profile))
        budget = Text()  # none if not even the shortest fits: state and model come first
        for variant in self._budgets:
            if cell_len(essential) + variant.cell_len + 2 <= width:
                budget = variant
                break
        room = width - (budget.cell_len + 2 if budget.cell_len else 0)
        # In order: state, model, tokens, a note (search index progress), endpoint; the
        # profile's name stays when the rest of the endpoint does not fit, the tokens and
        # the note only if the profile's name fits after them.
        left = SEPARATOR.join(self._parts(self._state, self._model))
        for extra in self._parts(self._tokens, self._note):
            candidate = SEPARATOR.join(self._parts(left, extra))
            if cell_len(SEPARATOR.join(self._parts(candidate, self._profile))) <= room:
                left = candidate
        for endpoint in self._parts(self._endpoint, self._profile):
            candidate = SEPARATOR.join(self._parts(left, endpoint))
            if cell_len(candidate) <= room:
                left = candidate
                break
        line = Text(left, no_wrap=True, end="")
        line.truncate(max(room, 1), overflow="ellipsis")  # cut here: a Static would wrap it
        before = self._shown
        if before is not None and _same(before[0], line) and _same(before[1], budget):
            return
        self._shown = (line, budget)
        # The left part is as wide as what the budget leaves: its text never changes the
        # layout. Only a budget of another width does (a layout arranges the whole screen,
        # and the state and the tokens change many times a second while a reply streams).
        self.query_one("#status-left", Static).update(line, layout=False)
        shown = self.query_one("#status-budget", Static)
        shown.display = bool(budget.cell_len)  # its margin would take room from the left
        resized = before is None or before[1].cell_len != budget.cell_len
        shown.update(budget, layout=resized)


def _same(a: Text, b: Text) -> bool:
    """Same text, spans and style (``Text.__eq__`` ignores the style)."""
    return a == b and a.style == b.style and a.justify == b.justify
