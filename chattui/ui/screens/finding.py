"""Finding text in the open conversation (F4), and opening a search hit (Ctrl+F, Enter).

:class:`FindMixin` is mixed into :class:`~chattui.ui.screens.main.MainScreen`. The matches are
counted in the messages' text (every term of the query, as the search screen highlights them);
stepping to one scrolls the chat log to it and marks it as the current match. The matches are
counted again whenever the conversation on screen changed since the last count.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from chattui.i18n import _
from chattui.ui.widgets.find_bar import FindBar

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.screen import Screen

    from chattui.core.models import Conversation, Message
    from chattui.ui.screens.search import SearchPick
    from chattui.ui.widgets.chat_log import ChatLog
    from chattui.ui.widgets.prompt import PromptInput

__all__ = ["FindMixin"]


class FindMixin:
    """Find-in-conversation for a screen with ``#find`` (a FindBar) and a chat log."""

    if TYPE_CHECKING:
        conversation: Conversation

        @property
        def log_view(self) -> ChatLog: ...

        @property
        def prompt(self) -> PromptInput: ...

        def open_conversation(
            self, conversation_id: str, then: Callable[[], object] | None = None
        ) -> None: ...

        def redraw(self, cursor: Message | None = None) -> None: ...

        def _streaming(self, conversation_id: str) -> bool: ...

    @property
    def _screen(self) -> Screen[None]:
        return cast("Screen[None]", self)

    _find_hits: list[tuple[str, int]] = []
    _find_index: int | None = None
    _find_state: tuple[str, int, str, str] | None = None
    """What the hits were counted for (see :meth:`_state`)."""

    @property
    def find_bar(self) -> FindBar:
        return self._screen.query_one("#find", FindBar)

    @property
    def find_position(self) -> tuple[int | None, int]:
        """(current match, 1-based or None; number of matches), as the bar shows them."""
        current = None if self._find_index is None else self._find_index + 1
        return current, len(self._find_hits)

    def action_find(self) -> None:
        """Open the find bar, or (when it is open with text) go to the next match."""
        bar = self.find_bar
        if bar.is_open and bar.text.strip() and not bar.input.has_focus:
            self._step(1)
        elif not bar.is_open and bar.text.strip():
            bar.open()
            self._find(bar.text)  # the text of last time, found again
        bar.open()

    def action_find_previous(self) -> None:
        if self.find_bar.is_open:
            self._step(-1)

    def open_search_hit(self, pick: SearchPick | None) -> None:
        """Open the conversation of a search hit, scrolled to it, with the matches lit."""
        if pick is None:
            return
        self.open_conversation(pick.hit.conversation_id, partial(self._show_hit, pick))

    def _show_hit(self, pick: SearchPick) -> None:
        """The conversation of a search hit is on screen: scroll to the hit, light the matches."""
        hit = pick.hit
        conversation = self.conversation
        message = conversation.find(hit.message_id) if hit.message_id else None
        if message is not None and not self.log_view.has_message(message.id):
            if self._streaming(conversation.id):
                self._screen.notify(
                    _("The match is in another branch of this conversation."), markup=False
                )
            else:  # show the branch that holds the match
                conversation.current_leaf = conversation.leaf_under(message).id
                self.redraw()
        self.find_bar.open(pick.text)
        self._find(pick.text, hit.message_id or "")  # a title hit: from the first match

    # -- the bar's messages (found by name: this class is not a widget) ---------------------

    def on_find_bar_changed(self, event: FindBar.Changed) -> None:
        self._find(event.text)

    def on_find_bar_moved(self, event: FindBar.Moved) -> None:
        self._step(event.step)

    def on_find_bar_closed(self, event: FindBar.Closed) -> None:
        self._find_hits, self._find_index, self._find_state = [], None, None
        self.log_view.set_highlight(None)
        self.prompt.focus()

    # -- matching ----------------------------------------------------------------------------

    def _find(self, text: str, target: str | None = None) -> None:
        """Count the matches of ``text`` and go to the first at or after the message
        ``target`` ("": the first match), or without one, at or below the top of the view."""
        log = self.log_view
        from chattui.core.search_text import find_hits, parse_query

        query = parse_query(text)
        log.set_highlight(query.pattern)
        shown = self._shown()
        self._find_hits = find_hits(((m.id, m.content) for m in shown), query.pattern)
        self._find_state = self._state(shown, text)
        self._find_index = None
        if self._find_hits:
            order = {message.id: number for number, message in enumerate(shown)}
            start = order.get(target if target is not None else log.key_at_top() or "", 0)
            self._find_index = next(
                (i for i, (key, _n) in enumerate(self._find_hits) if order[key] >= start), 0
            )
            self._go()
        elif target is None and not text.strip():
            log.set_highlight(None)
        self.find_bar.set_count(*self.find_position)

    def _step(self, step: int) -> None:
        text = self.find_bar.text
        if self._find_state != self._state(self._shown(), text):
            self._find(text)  # the conversation changed since: count again
            return
        if not self._find_hits:
            return
        index = -1 if self._find_index is None else self._find_index
        self._find_index = (index + step) % len(self._find_hits)
        self._go()
        self.find_bar.set_count(*self.find_position)

    def _shown(self) -> list[Message]:
        """The messages on screen (the current branch), in order."""
        log = self.log_view
        return [m for m in self.conversation.branch() if log.has_message(m.id)]

    def _state(self, shown: list[Message], text: str) -> tuple[str, int, str, str]:
        """What the matches were counted for: if it changes, they are counted again."""
        last = shown[-1] if shown else None
        size = len(last.content) if last is not None else 0
        return (self.conversation.id, len(shown), f"{last.id if last else ''}:{size}", text)

    def _go(self) -> None:
        if self._find_index is not None:
            key, occurrence = self._find_hits[self._find_index]
            self.log_view.scroll_to_match(key, occurrence)
