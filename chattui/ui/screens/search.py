"""Ctrl+F: search every conversation, results updating as you type.

Each keystroke restarts a short timer; when it fires, a thread worker asks the index (the
event loop never waits for SQLite), and a newer query interrupts an older one. A result shows
the conversation's title and date, and a snippet with the matches highlighted: all of it is
plain text (sanitized, styled with spans), never markup. Enter dismisses the screen with the
chosen hit; the main screen opens it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from chattui.core.sanitize import sanitize_line, show_controls
from chattui.core.search import SearchCancelled, SearchIndex
from chattui.core.search_index import SearchHit, SearchResult
from chattui.i18n import _, ngettext
from chattui.ui.actions import Scope, bindings
from chattui.ui.widgets.safe_text import SafeInput

__all__ = ["SearchPick", "SearchScreen"]

DEBOUNCE = 0.12
"""Seconds of quiet typing before a query is sent."""
STATUS_INTERVAL = 0.5
"""Seconds between looks at the indexing progress."""


@dataclass(frozen=True)
class SearchPick:
    """What the user chose: the hit, and the text searched (to highlight it)."""

    hit: SearchHit
    text: str


class SearchResults(OptionList):
    """The hits, two lines each: title and date, then the snippet."""

    COMPONENT_CLASSES = {"search-results--match"}
    DEFAULT_CSS = """
    SearchResults > .search-results--match { background: $warning 40%; text-style: bold; }
    """


class SearchScreen(ModalScreen[SearchPick | None]):
    """One box, a list of conversations found (see the module docstring)."""

    BINDINGS = bindings(Scope.SEARCH)
    CSS_PATH = Path(__file__).with_suffix(".tcss")

    def __init__(self, index: SearchIndex, text: str = "") -> None:
        super().__init__()
        self.index = index
        self.initial = text
        self._timer: Timer | None = None
        self._hits: list[SearchHit] = []
        self._result: SearchResult | None = None
        self._indexed = -1
        """Files indexed when last shown (-1: not indexing)."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield SafeInput(
                self.initial,
                id="search-input",
                placeholder=_("Search all conversations (words, 中文, phrases in quotes)"),
            )
            yield Label("", id="search-status", markup=False)
            yield SearchResults(id="search-results")

    def on_mount(self) -> None:
        self.index.sync()  # pick up files changed elsewhere (cheap when nothing did)
        self.set_interval(STATUS_INTERVAL, self._follow_indexing)
        self.query_one("#search-input", SafeInput).focus()
        if self.initial.strip():
            self._run(self.initial)

    @property
    def results(self) -> SearchResults:
        return self.query_one("#search-results", SearchResults)

    @property
    def hits(self) -> list[SearchHit]:
        """The hits shown (for tests)."""
        return list(self._hits)

    # -- typing ------------------------------------------------------------------------------

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, lambda: self._run(event.value))

    def _run(self, text: str) -> None:
        self._timer = None
        self.index.cancel_search()
        if not text.strip():
            self.workers.cancel_group(self, "search")
            self._show(None)
            return
        self.search(text)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, text: str) -> None:
        """Ask the index (on a thread) and show the answer, unless a newer query came."""
        worker = get_current_worker()
        try:
            result = self.index.search(text)
        except SearchCancelled:
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, result, text)

    def _follow_indexing(self) -> None:
        """While files are being indexed, show the progress and search again as it grows."""
        status = self.index.status
        done = status.done if status.indexing else -1
        if done == self._indexed:
            return
        self._indexed = done
        self._show_status()
        text = self.query_one("#search-input", SafeInput).value
        if text.strip() and self._timer is None:
            self.search(text)

    # -- showing -----------------------------------------------------------------------------

    def _show(self, result: SearchResult | None, text: str = "") -> None:
        current = self.query_one("#search-input", SafeInput).value
        if result is not None and text != current:
            return  # an answer to an older query
        self._result = result
        self._hits = list(result.hits) if result is not None else []
        match = self.results.get_component_rich_style("search-results--match", partial=True)
        width = max(self.results.scrollable_content_region.width - 2, 20)
        pattern = result.query.pattern if result is not None else None
        self.results.set_options(
            Option(_render_hit(hit, pattern, match, width), id=str(number))
            for number, hit in enumerate(self._hits)
        )
        if self._hits:
            self.results.highlighted = 0
        self._show_status()

    def _show_status(self) -> None:
        result = self._result
        status = self.index.status
        parts: list[str] = []
        if result is not None:
            count = len(result.hits)
            if count == 0:
                parts.append(_("No conversation matches."))
            elif result.complete:
                parts.append(ngettext("{count} conversation", "{count} conversations", count))
            else:
                parts.append(
                    ngettext(
                        "{count} most recent conversation",
                        "{count} most recent conversations",
                        count,
                    )
                )
            parts.append(f"{result.seconds * 1000:.0f} ms")
        if status.indexing:
            parts.append(_("indexing {done}/{total}…", done=status.done, total=status.total))
        if status.error:
            parts.append(_("Search index problem: {error}", error=sanitize_line(status.error)))
        self.query_one("#search-status", Label).update(" · ".join(parts))

    # -- choosing ----------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        results = self.results
        if not self._hits:
            return
        current = results.highlighted if results.highlighted is not None else -1
        results.highlighted = min(max(current + step, 0), len(self._hits) - 1)

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        index = self.results.highlighted
        if index is not None and 0 <= index < len(self._hits):
            self.dismiss(SearchPick(self._hits[index], event.value))

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if 0 <= index < len(self._hits):
            text = self.query_one("#search-input", SafeInput).value
            self.dismiss(SearchPick(self._hits[index], text))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _render_hit(hit: SearchHit, pattern: re.Pattern[str] | None, match: Style, width: int) -> Text:
    """Two lines: the title (matches lit) and the date; the snippet (matches lit)."""
    title = Text(sanitize_line(hit.title, 200) or _("New conversation"), style="bold")
    if pattern is not None:
        for found in pattern.finditer(title.plain):
            title.stylize(match, *found.span())
    title.truncate(max(width - 14, 10), overflow="ellipsis")
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.updated))
    title.append(" " * max(width - title.cell_len - len(date), 2) + date, style="dim")
    body = _snippet_text(hit, match)
    body.truncate(width, overflow="ellipsis")
    return Text("\n").join([title, body, Text("")])


def _snippet_text(hit: SearchHit, match: Style) -> Text:
    """ "You: …snippet…" with the matches styled. Control characters become visible stand-ins
    one for one (:func:`show_controls`), so the match spans stay valid."""
    if hit.message_id is None:  # the title matched: it is on the line above
        return Text(_("(the title matches)"), style="dim")
    body = Text(show_controls(hit.snippet))
    for start, end in hit.spans:
        body.stylize(match, start, end)
    role = {"user": _("You"), "assistant": _("Assistant")}.get(hit.role)
    if role is None:
        return body
    return Text.assemble((role + ": ", "dim"), body)
