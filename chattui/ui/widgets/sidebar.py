"""The sidebar: saved conversations, newest first, with rename and delete keys."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from chattui.core.sanitize import sanitize_line
from chattui.core.storage import ConversationSummary
from chattui.i18n import _

__all__ = ["ConversationList", "relative_time"]

TITLE_WIDTH = 60


def relative_time(timestamp: float, now: float | None = None) -> str:
    """ "just now", "5 min", "3 h", "2 d" or a date, for the sidebar."""
    seconds = max((now if now is not None else time.time()) - timestamp, 0)
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("{n} min", n=int(seconds // 60))
    if seconds < 86400:
        return _("{n} h", n=int(seconds // 3600))
    if seconds < 7 * 86400:
        return _("{n} d", n=int(seconds // 86400))
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


class ConversationList(OptionList):
    """Conversation titles with their age. Line-based, so thousands of entries stay fast."""

    BINDINGS = [
        Binding("r", "rename", _("Rename")),
        Binding("delete", "delete", _("Delete")),
    ]

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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._summaries: list[ConversationSummary] = []
        self.current_id: str | None = None

    def show(self, summaries: Sequence[ConversationSummary], current_id: str | None) -> None:
        """Replace the list; highlight ``current_id``."""
        self._summaries = list(summaries)
        self.current_id = current_id
        self._rebuild()

    def upsert(self, summary: ConversationSummary) -> None:
        """Add or update one entry and move it to the top (it was just used)."""
        self._summaries = [s for s in self._summaries if s.id != summary.id]
        self._summaries.insert(0, summary)
        self._rebuild()

    def remove_entry(self, conversation_id: str) -> None:
        self._summaries = [s for s in self._summaries if s.id != conversation_id]
        self._rebuild()

    def set_current(self, conversation_id: str | None) -> None:
        self.current_id = conversation_id
        self._rebuild()

    def refresh_times(self) -> None:
        """Re-render the relative times (called every minute)."""
        self._rebuild()

    @property
    def summaries(self) -> list[ConversationSummary]:
        return list(self._summaries)

    def _rebuild(self) -> None:
        now = time.time()
        highlighted = self.highlighted_option.id if self.highlighted_option else self.current_id
        options = [self._option(summary, now) for summary in self._summaries]
        self.set_options(options)
        target = highlighted if highlighted is not None else self.current_id
        index = next((i for i, s in enumerate(self._summaries) if s.id == target), 0)
        self.highlighted = index if self._summaries else None

    def _option(self, summary: ConversationSummary, now: float) -> Option:
        width = max((self.scrollable_content_region.width or 30) - 2, 8)
        title = sanitize_line(summary.title, TITLE_WIDTH) or _("New conversation")
        current = summary.id == self.current_id
        line = Text("▌ " if current else "  ", style="bold", no_wrap=True)
        line.append(title, style="bold" if current else "")
        line.truncate(width, overflow="ellipsis")
        age = Text("  " + relative_time(summary.updated, now), style="dim", no_wrap=True)
        return Option(Text("\n").join([line, age]), id=summary.id)

    def _selected_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(event.option.id))

    def action_rename(self) -> None:
        conversation_id = self._selected_id()
        if conversation_id:
            self.post_message(self.RenameRequested(conversation_id))

    def action_delete(self) -> None:
        conversation_id = self._selected_id()
        if conversation_id:
            self.post_message(self.DeleteRequested(conversation_id))
