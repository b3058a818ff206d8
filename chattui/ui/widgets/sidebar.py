"""The sidebar: saved conversations (pinned first, then by last activity), filtered by title,
with keys to rename, delete, pin and archive."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from chattui.core.library import order_summaries
from chattui.core.sanitize import sanitize_line
from chattui.core.storage import ConversationSummary
from chattui.i18n import _
from chattui.ui.actions import Scope, bindings

__all__ = ["ConversationList", "relative_time"]

TITLE_WIDTH = 60


def relative_time(timestamp: float, now: float | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 d ago" or a date, for the sidebar."""
    seconds = max((now if now is not None else time.time()) - timestamp, 0)
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("{n} min ago", n=int(seconds // 60))
    if seconds < 86400:
        return _("{n} h ago", n=int(seconds // 3600))
    if seconds < 7 * 86400:
        return _("{n} d ago", n=int(seconds // 86400))
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


class ConversationList(OptionList):
    """Conversation titles with their age. Line-based, so thousands of entries stay fast."""

    BINDINGS = bindings(Scope.SIDEBAR)

    class Selected(Message):
        """The user opened a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class RenameRequested(Message):
        """The user asked to rename a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class DeleteRequested(Message):
        """The user asked to delete a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class PinRequested(Message):
        """The user asked to pin or unpin a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class ArchiveRequested(Message):
        """The user asked to archive or unarchive a conversation."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._summaries: list[ConversationSummary] = []
        self.current_id: str | None = None
        self._query = ""
        self.show_archived = False
        """Whether archived conversations are listed (after the others)."""
        self._hidden: set[str] = set()
        """Entries kept but not listed (deleted, while the delete can be undone)."""
        self._wanted: str | None = None
        """An entry to highlight once it is listed (the conversation just put on screen)."""
        self._built_width = 0
        """The width titles were cut to: it is a guess until the list is laid out."""
        self._generation = 0
        self._filling = False
        self._listed = False
        """Whether :meth:`show` gave the list (the app reads it after its first frame)."""
        self._removed_early: set[str] = set()
        """Entries removed before that: the list, read earlier, may still have them."""
        self._shown_memo: (
            tuple[
                list[ConversationSummary],
                tuple[str, bool, frozenset[str]],
                list[ConversationSummary],
            ]
            | None
        ) = None
        """Bumped by every rebuild: a batch of a superseded rebuild is dropped."""

    def show(self, summaries: Sequence[ConversationSummary], current_id: str | None) -> None:
        """Replace the list; highlight ``current_id``. The first list keeps the entries
        added (newer) and removed before it came."""
        if not self._listed:
            self._listed = True
            early = {summary.id for summary in self._summaries} | self._removed_early
            summaries = [*self._summaries, *(s for s in summaries if s.id not in early)]
            self._removed_early.clear()
        self._summaries = list(summaries)
        self.current_id = current_id
        self._rebuild()

    def upsert(self, summary: ConversationSummary) -> None:
        """Add or update one entry (it moves to its place in the order)."""
        self._summaries = [s for s in self._summaries if s.id != summary.id]
        self._summaries.insert(0, summary)
        self._rebuild()

    def remove_entry(self, conversation_id: str) -> None:
        if not self._listed:
            self._removed_early.add(conversation_id)
        self._summaries = [s for s in self._summaries if s.id != conversation_id]
        self._hidden.discard(conversation_id)
        self._rebuild()

    def hide(self, conversation_id: str) -> None:
        """Stop listing an entry (updates to it are still kept) until :meth:`unhide`; if it
        was highlighted, the entry that takes its place is."""
        shown = [s.id for s in self.shown]
        if self._selected_id() == conversation_id and conversation_id in shown:
            index = shown.index(conversation_id)
            neighbours = shown[index + 1 : index + 2] or shown[max(index - 1, 0) : index]
            self._wanted = neighbours[0] if neighbours else None
        self._hidden.add(conversation_id)
        self._rebuild()

    def unhide(self, conversation_id: str) -> None:
        """List a hidden entry again, highlighted (a delete undone: the next delete acts on
        it, not on whatever entry the highlight fell on)."""
        self._hidden.discard(conversation_id)
        self._wanted = conversation_id
        self._rebuild()

    def set_filter(self, query: str) -> None:
        """List only the conversations whose title contains every word of ``query``."""
        self._query = query
        self._rebuild()

    def set_show_archived(self, show: bool) -> None:
        self.show_archived = show
        self._rebuild()

    def set_current(self, conversation_id: str | None) -> None:
        """Mark the conversation on screen, and highlight it (now, or once it is listed)."""
        self.current_id = conversation_id
        self._wanted = conversation_id
        self._rebuild()

    def refresh_times(self) -> None:
        """Re-render the relative times (called every minute)."""
        self._rebuild()

    def on_resize(self) -> None:
        self._check_width()

    def watch_show_vertical_scrollbar(self) -> None:
        # A scrollbar narrows the titles: a title cut for the wider list would wrap.
        self.call_after_refresh(self._check_width)

    def _check_width(self) -> None:
        if self._title_width() != self._built_width:
            self._rebuild()

    def _title_width(self) -> int:
        return max((self.scrollable_content_region.width or 30) - 2, 8)

    @property
    def summaries(self) -> list[ConversationSummary]:
        """Every entry (filtered out or archived included) in the list's order, except hidden
        ones."""
        visible = [s for s in self._summaries if s.id not in self._hidden]
        return order_summaries(visible, show_archived=True)

    @property
    def shown(self) -> list[ConversationSummary]:
        """The entries listed, in their order."""
        # Remembered for the same entries, filter and hidden set: a rebuild asks for it, and
        # the screen right after, and ordering 10,000 entries takes a noticeable time.
        key = (self._query, self.show_archived, frozenset(self._hidden))
        memo = self._shown_memo
        if memo is not None and memo[0] is self._summaries and memo[1] == key:
            return list(memo[2])
        visible = [s for s in self._summaries if s.id not in self._hidden]
        shown = order_summaries(visible, self._query, self.show_archived)
        self._shown_memo = (self._summaries, key, shown)
        return list(shown)

    FIRST_PAGE: ClassVar[int] = 40
    """Entries listed at once; the others follow in batches (an option costs ~0.1 ms to
    build and measure, so 10,000 conversations at once would hold the screen for a second)."""
    BATCH: ClassVar[int] = 200
    BATCH_PAUSE: ClassVar[float] = 0.02

    def _rebuild(self) -> None:
        # An empty list is not drawn (painting its blank lines costs the first frame ~5 ms).
        self.display = bool(self._summaries)
        now = time.time()
        self._built_width = self._title_width()
        highlighted = self.highlighted_option.id if self.highlighted_option else self.current_id
        shown = self.shown
        target = highlighted if highlighted is not None else self.current_id
        if self._wanted is not None and any(s.id == self._wanted for s in shown):
            target, self._wanted = self._wanted, None
        index = next((i for i, s in enumerate(shown) if s.id == target), 0)
        first = max(self.FIRST_PAGE, index + 1)
        self._generation += 1
        self.set_options([self._option(summary, now) for summary in shown[:first]])
        self.highlighted = index if shown else None
        self._filling = len(shown) > first
        if self._filling:
            generation = self._generation
            self.call_after_refresh(self._add_later, generation, shown, first, now)

    @property
    def filling(self) -> bool:
        """True while entries of the last rebuild are still being added (in batches)."""
        return self._filling

    def _add_later(
        self, generation: int, shown: list[ConversationSummary], start: int, now: float
    ) -> None:
        def add() -> None:
            if generation != self._generation or not self.is_mounted:
                return  # rebuilt since: that rebuild lists its own entries
            end = start + self.BATCH
            self.add_options([self._option(summary, now) for summary in shown[start:end]])
            if end < len(shown):
                self._add_later(generation, shown, end, now)
            else:
                self._filling = False

        self.set_timer(self.BATCH_PAUSE, add)

    def _option(self, summary: ConversationSummary, now: float) -> Option:
        width = self._built_width
        title = sanitize_line(summary.title, TITLE_WIDTH) or _("New conversation")
        current = summary.id == self.current_id
        line = Content.styled("▌ " if current else "  ", "bold")
        line = (line + Content.styled(title, "bold" if current else "")).truncate(
            width, ellipsis=True
        )
        tags = [_("pinned")] if summary.pinned else []
        tags += [_("archived")] if summary.archived else []
        when = " · ".join([*tags, relative_time(summary.updated, now)])
        # The theme's muted text, not "dim": dimmed, it fell under 3:1 on a tinted current row.
        age = Content.styled("  " + when, "$text-muted")
        return Option(Content("\n").join([line, age]), id=summary.id)

    def _selected_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(event.option.id))

    def _request(self, message: Callable[[str], Message]) -> None:
        """Post ``message`` about the highlighted entry, if any."""
        conversation_id = self._selected_id()
        if conversation_id:
            self.post_message(message(conversation_id))

    def action_rename(self) -> None:
        self._request(self.RenameRequested)

    def action_delete(self) -> None:
        self._request(self.DeleteRequested)

    def action_pin(self) -> None:
        self._request(self.PinRequested)

    def action_archive(self) -> None:
        self._request(self.ArchiveRequested)
