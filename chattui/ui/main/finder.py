"""Finding text in the open conversation (F4), and opening a search hit (Ctrl+F, Enter).

The matches are counted in the messages' text (every term of the query, as the search screen
highlights them); stepping to one scrolls the chat log to it and marks it as the current match.
The matches are counted again whenever the conversation on screen changed since the last count.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.screen import Screen

from chattui.core.models import Message
from chattui.i18n import _
from chattui.ui.main.conversations import Conversations
from chattui.ui.main.panes import Panes, Shown

if TYPE_CHECKING:
    from chattui.ui.screens.search import SearchPick

__all__ = ["Finder"]


class Finder:
    """Find-in-conversation over the find bar and the chat log (``redraw`` draws the branch on
    screen again, after a hit in another branch was made current)."""

    def __init__(
        self,
        screen: Screen[None],
        shown: Shown,
        panes: Panes,
        conversations: Conversations,
        redraw: Callable[[], None],
    ) -> None:
        self._screen = screen
        self._shown = shown
        self._panes = panes
        self._conversations = conversations
        self._redraw = redraw
        self._hits: list[tuple[str, int]] = []
        self._index: int | None = None
        self._state: tuple[str, int, str, str] | None = None
        """What the hits were counted for (see :meth:`_state_of`)."""

    @property
    def position(self) -> tuple[int | None, int]:
        """(current match, 1-based or None; number of matches), as the bar shows them."""
        current = None if self._index is None else self._index + 1
        return current, len(self._hits)

    def find(self) -> None:
        """Open the find bar, or (when it is open with text) go to the next match."""
        bar = self._panes.find_bar
        if bar.is_open and bar.text.strip() and not bar.input.has_focus:
            self.step(1)
        elif not bar.is_open and bar.text.strip():
            bar.open()
            self.search(bar.text)  # the text of last time, found again
        bar.open()

    def find_previous(self) -> None:
        if self._panes.find_bar.is_open:
            self.step(-1)

    def open_hit(self, pick: SearchPick | None) -> None:
        """Open the conversation of a search hit, scrolled to it, with the matches lit."""
        if pick is not None:
            self._conversations.open(pick.hit.conversation_id, partial(self._show_hit, pick))

    def _show_hit(self, pick: SearchPick) -> None:
        """The conversation of a search hit is on screen: scroll to the hit, light the matches."""
        hit = pick.hit
        conversation = self._shown.conversation
        message = conversation.find(hit.message_id) if hit.message_id else None
        if message is not None and not self._panes.log.has_message(message.id):
            if self._shown.streaming():
                self._screen.notify(
                    _("The match is in another branch of this conversation."), markup=False
                )
            else:  # show the branch that holds the match
                conversation.current_leaf = conversation.leaf_under(message).id
                self._redraw()
        if not hit.message_id and not self._matches(pick.text, self._shown_messages()):
            # Only the title matched: a find bar saying "no matches" would look broken.
            self._screen.notify(_("“{text}” is in the title only.", text=pick.text), markup=False)
            return
        self._panes.find_bar.open(pick.text)
        self.search(pick.text, hit.message_id or "")  # a title hit: from the first match

    def closed(self) -> None:
        """The bar was closed: forget the matches, back to the prompt."""
        self._hits, self._index, self._state = [], None, None
        self._panes.log.set_highlight(None)
        self._panes.prompt.focus()

    # -- matching ----------------------------------------------------------------------------

    def search(self, text: str, target: str | None = None) -> None:
        """Count the matches of ``text`` and go to the first at or after the message
        ``target`` ("": the first match), or without one, at or below the top of the view."""
        log = self._panes.log
        from chattui.core.search_text import parse_query

        query = parse_query(text)
        log.set_highlight(query.pattern)
        shown = self._shown_messages()
        self._hits = self._matches(text, shown)
        self._state = self._state_of(shown, text)
        self._index = None
        if self._hits:
            order = {message.id: number for number, message in enumerate(shown)}
            start = order.get(target if target is not None else log.key_at_top() or "", 0)
            self._index = next(
                (i for i, (key, _n) in enumerate(self._hits) if order[key] >= start), 0
            )
            self._go()
        elif target is None and not text.strip():
            log.set_highlight(None)
        self._panes.find_bar.set_count(*self.position)

    @staticmethod
    def _matches(text: str, shown: list[Message]) -> list[tuple[str, int]]:
        """(message id, occurrence) of each match of ``text`` in ``shown``."""
        from chattui.core.search_text import find_hits, parse_query

        return find_hits(((m.id, m.content) for m in shown), parse_query(text).pattern)

    def step(self, step: int) -> None:
        """Go to the next (1) or previous (-1) match."""
        text = self._panes.find_bar.text
        if self._state != self._state_of(self._shown_messages(), text):
            self.search(text)  # the conversation changed since: count again
            return
        if not self._hits:
            return
        index = -1 if self._index is None else self._index
        self._index = (index + step) % len(self._hits)
        self._go()
        self._panes.find_bar.set_count(*self.position)

    def _shown_messages(self) -> list[Message]:
        """The messages on screen (the current branch), in order."""
        log = self._panes.log
        return [m for m in self._shown.conversation.branch() if log.has_message(m.id)]

    def _state_of(self, shown: list[Message], text: str) -> tuple[str, int, str, str]:
        """What the matches were counted for: if it changes, they are counted again."""
        last = shown[-1] if shown else None
        size = len(last.content) if last is not None else 0
        conversation_id = self._shown.conversation.id
        return (conversation_id, len(shown), f"{last.id if last else ''}:{size}", text)

    def _go(self) -> None:
        if self._index is not None:
            key, occurrence = self._hits[self._index]
            self._panes.log.scroll_to_match(key, occurrence)
