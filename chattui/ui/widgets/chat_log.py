"""The chat pane: the messages of one conversation, streamed replies, the message cursor and
find-in-conversation, on top of :class:`~chattui.ui.widgets.log_view.LogView` (which renders
and paints the entries; see its module docstring).

Streamed text is buffered per delta and rendered at most once per frame (frames are spaced so
that the work repeated every frame stays under about a third of the time); finished blocks are
rendered once, and only the open tail of the reply is re-rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, ClassVar

from textual import events

from chattui.core.models import Message, MessageStatus, Role
from chattui.ui.actions import Scope, bindings
from chattui.ui.render.cursor import (
    CursorTarget,
    cursor_targets,
    default_target,
    is_message,
    shown_neighbour,
    target_at,
    target_line,
)
from chattui.ui.render.entries import (
    AssistantEntry,
    Entry,
    NoticeEntry,
    SystemEntry,
    UserEntry,
    entry_for,
)
from chattui.ui.render.frames import FrameThrottle
from chattui.ui.render.highlight import MATCH_CLASSES, MATCH_CSS, find_occurrence
from chattui.ui.widgets.log_view import LogView

if TYPE_CHECKING:
    pass
from chattui.ui.render.palette import CHAT_LOG_CSS, COMPONENT_CLASSES

__all__ = ["ChatLog"]

_SYSTEM_KEY = "system-prompt"
_QUEUED_KEY = "queued-"


def same_turn(message: Message, lost: Message) -> bool:
    """True if ``message`` takes the place of ``lost`` on the pane: the same message shown
    again, or another answer to the same message (a regenerated reply, an edited prompt)."""
    return message.id == lost.id or (
        message.parent_id == lost.parent_id and message.role is lost.role
    )


class ChatLog(LogView, can_focus=True):
    """The messages of one conversation, rendered for speed (see the module docstring)."""

    DEFAULT_CSS = CHAT_LOG_CSS + MATCH_CSS
    COMPONENT_CLASSES: ClassVar[set[str]] = set(COMPONENT_CLASSES | MATCH_CLASSES)

    BINDINGS = bindings(Scope.LOG)

    FRAME_INTERVAL: ClassVar[float] = 1 / 8
    """Shortest time between two renders of a streaming reply. Each frame repaints the whole
    pane (following the stream scrolls it) and costs ~8-9 ms of Textual's compositor and
    terminal output whatever arrived: 8 frames a second keep a 100 tokens/s stream near a fifth
    of a core (10 a second: near a quarter); the last frame of a reply is drawn at once."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._dirty: dict[str, AssistantEntry] = {}
        self._frames = FrameThrottle(self.flush, interval=self.FRAME_INTERVAL, post=self.call_later)
        self._notices = 0
        self._alternatives: Mapping[str, tuple[int, int]] = {}
        self._lost: tuple[Message, CursorTarget] | None = None
        """The message the cursor was on when it left the pane (a reply regenerated or removed)
        and the neighbour the cursor went to: while the cursor stays there, a message of the
        same turn shown later takes it back (the new reply of a regenerated turn)."""

    # ---------------------------------------------------------------- public API

    def set_conversation(
        self,
        messages: Sequence[Message],
        system_prompt: str = "",
        live_ids: Collection[str] = (),
        alternatives: Mapping[str, tuple[int, int]] | None = None,
        *,
        keep_cursor: bool = False,
    ) -> None:
        """Replace everything with ``messages`` (and a collapsed system prompt if given).

        ``live_ids``: replies still streaming in this session (they receive :meth:`append_text`
        and are not marked "incomplete"). ``alternatives``: message id -> (position, count)
        among its alternatives, shown in its header. ``keep_cursor``: keep the message cursor
        (and the view around it) on its message if that is still shown, else on the message of
        the same turn (a regenerated reply) or the nearest one shown; with the focus, the
        cursor is always kept that way (or shown on the last message), never hidden.
        """
        shown = [entry.key for entry in self._layout if is_message(entry)]
        cursor, under = self.cursor, self.cursor_message
        keep = keep_cursor or self.has_focus
        top = int(self.scroll_y)
        self._drop_all()
        self._alternatives = dict(alternatives or {})
        if system_prompt.strip():
            self._append(SystemEntry(_SYSTEM_KEY, system_prompt))
        live = set(live_ids)
        for message in messages:
            self._append(self._entry(message, live=message.id in live))
        self._layout.update()
        if keep and cursor is not None and self._keep_cursor(cursor, under, shown):
            self._set_view(top)
            self._refresh_all(follow=False)
            self.scroll_to_cursor()
        else:
            self._set_cursor(None)
            self._refresh_all(follow=True)
            if self.has_focus:
                self._show_cursor()

    def _keep_cursor(self, cursor: CursorTarget, message: Message | None, shown: list[str]) -> bool:
        """Put the cursor back after the entries were replaced: on its message, else on the
        same turn's or the nearest message (``shown``: the messages before); False if none of
        them is shown (another conversation)."""
        if self._layout.get(cursor.key) is not None:
            lost = self._lost
            self._set_cursor(cursor, lost[0] if lost is not None and lost[1] == cursor else None)
            return True
        if message is None:
            return False
        index = shown.index(cursor.key) if cursor.key in shown else len(shown)
        neighbour = shown_neighbour(self._layout, shown, index)
        if neighbour is None and message.parent_id is None:
            return False  # a first message elsewhere is no turn of this one
        turn = self._turn_of(message)
        if turn is not None:
            self._set_cursor(CursorTarget(turn))
        elif neighbour is not None:
            self._set_cursor(CursorTarget(neighbour), message)
        return turn is not None or neighbour is not None

    def _turn_of(self, lost: Message) -> str | None:
        """The last message shown that takes the place of ``lost`` (see :func:`same_turn`)."""
        for entry in reversed(self._layout.entries):
            message = getattr(entry, "message", None)
            if is_message(entry) and isinstance(message, Message) and same_turn(message, lost):
                return entry.key
        return None

    def _entry(self, message: Message, *, live: bool = False) -> Entry:
        entry = entry_for(message, live=live)
        if isinstance(entry, UserEntry | AssistantEntry):
            entry.alternative = self._alternatives.get(message.id)
        return entry

    def add_message(self, message: Message, alternative: tuple[int, int] | None = None) -> None:
        """Append ``message``; a streaming assistant message then receives :meth:`append_text`."""
        live = message.role is Role.ASSISTANT and message.status is MessageStatus.STREAMING
        if alternative is not None:
            self._alternatives = {**self._alternatives, message.id: alternative}
        self._add(self._entry(message, live=live))
        lost = self._lost
        if lost is not None and self.cursor == lost[1] and same_turn(message, lost[0]):
            self._set_cursor(CursorTarget(message.id))  # back on the turn it left
        elif self.cursor is None and self.has_focus:
            self._show_cursor()

    def append_text(self, message_id: str, delta: str) -> None:
        """Append streamed text to a reply; it is rendered on the next frame, not now."""
        entry = self._layout.get(message_id)
        if not isinstance(entry, AssistantEntry) or not delta:
            return
        entry.append(delta)
        self._dirty[message_id] = entry
        self._frames.request()

    def update_message(self, message: Message) -> None:
        """Show a changed message (status, error, final content): re-render that entry."""
        entry = self._layout.get(message.id)
        if entry is None:
            return
        self._dirty.pop(message.id, None)
        if isinstance(entry, AssistantEntry) and message.role is Role.ASSISTANT:
            entry.set_message(message)
            self._replace(entry, entry)
        else:
            self._replace(entry, self._entry(message))

    def remove_message(self, message_id: str) -> None:
        """Remove a message from the pane; the cursor on it goes to the nearest message (and
        back to the turn if a message of it is added, see :meth:`add_message`)."""
        entry = self._layout.get(message_id)
        if entry is None:
            return
        lost = self.cursor_message if self.cursor and self.cursor.key == message_id else None
        shown = [e.key for e in self._layout if is_message(e)]
        self._dirty.pop(message_id, None)
        follow = self.is_following
        above = self._layout.is_above(entry, self.scroll_target_y)
        self._layout.remove(entry)
        self._relayout(follow, -entry.height if above else 0)
        if lost is not None:
            neighbour = shown_neighbour(self._layout, shown, shown.index(message_id))
            self._set_cursor(CursorTarget(neighbour) if neighbour else None, lost)

    def add_notice(self, text: str) -> None:
        """Append a line of information, e.g. "3 earlier messages not sent"."""
        self._notices += 1
        self._add(NoticeEntry(f"notice-{self._notices}", text))

    def set_queued(self, texts: Sequence[str]) -> None:
        """Show ``texts`` (prompts queued to send after the reply) at the end, replacing the
        ones shown before."""
        follow = self.is_following
        for entry in [e for e in self._layout if e.key.startswith(_QUEUED_KEY)]:
            self._layout.remove(entry)
        for index, text in enumerate(texts):
            self._append(NoticeEntry(f"{_QUEUED_KEY}{index}", text))
        self._refresh_all(follow)

    def set_usage_label(self, label: Callable[[Message], str]) -> None:
        """Show each reply's usage in its header, formatted by ``label``."""
        self._usage_label = label
        self._rerender_messages(lambda message: message.usage is not None)

    def set_error_hint(self, text: str) -> None:
        """Set the hint shown after error messages, e.g. "Ctrl+R retry"."""
        if text != self._error_hint:
            self._error_hint = text
            self._rerender_messages(lambda message: message.status is MessageStatus.ERROR)

    def _rerender_messages(self, which: Callable[[Message], bool]) -> None:
        """Render again the messages ``which`` picks (the render context changed)."""
        self._render_ctx = None
        for entry in self._layout:
            message = getattr(entry, "message", None)
            if isinstance(message, Message) and which(message):
                entry.invalidate(self._width)
        self._layout.update()
        self._refresh_all(self.is_following)

    def set_system_expanded(self, expanded: bool) -> None:
        """Show the whole system prompt (``True``) or only its first words."""
        entry = self._layout.get(_SYSTEM_KEY)
        if isinstance(entry, SystemEntry) and entry.expanded != expanded:
            self._replace(entry, SystemEntry(_SYSTEM_KEY, entry.text, expanded))

    def toggle_system_prompt(self) -> None:
        """Expand or collapse the system prompt."""
        entry = self._layout.get(_SYSTEM_KEY)
        if isinstance(entry, SystemEntry):
            self.set_system_expanded(not entry.expanded)

    def clear(self) -> None:
        """Remove everything."""
        self._drop_all()
        self._set_cursor(None)
        self._relayout(True)

    def flush(self) -> None:
        """Render buffered streamed text now instead of on the next frame."""
        self._frames.cancel()
        if not self._dirty:
            return
        start = perf_counter()
        follow = self.is_following
        context = self._get_context()
        lasting = 0.0 if context is None else context.renderer.lasting_seconds
        dirty = list(self._dirty.values())
        self._dirty.clear()
        for entry in dirty:
            if not self._layout.holds(entry):
                continue
            if context is None:
                entry.document.flush()
            else:
                entry.update_stream(context)
        self._relayout(follow)
        # Space frames so that the work repeated every frame (the open tail, the layout) takes
        # at most about a third of the time; finished blocks are rendered once whatever the rate.
        if context is not None:
            lasting = context.renderer.lasting_seconds - lasting
        self._frames.done(perf_counter() - start - lasting)

    def rendered_text(self) -> str:
        """Plain text of every line, all entries rendered first (for tests; O(conversation))."""
        self.flush()
        context = self._get_context()
        lines: list[str] = []
        for entry in self._layout:
            if not entry.rendered and context is not None:
                entry.render(context)
            lines.extend(strip.text.rstrip() for strip in entry.lines)
        self._relayout(self.is_following)
        return "\n".join(lines)

    # ---------------------------------------------------------------- message cursor

    @property
    def cursor_message(self) -> Message | None:
        """The message under the cursor (None if the cursor is hidden)."""
        entry = self._layout.get(self.cursor.key) if self.cursor is not None else None
        return entry.message if isinstance(entry, UserEntry | AssistantEntry) else None

    def code_blocks(self, message_id: str) -> list[tuple[str, str]]:
        """(language, code) of each code block of a reply shown here, numbered as on screen."""
        entry = self._layout.get(message_id)
        return entry.code_blocks() if isinstance(entry, AssistantEntry) else []

    def move_cursor(self, step: int) -> None:
        """Move the cursor ``step`` stops (messages and code blocks); from hidden, up starts
        at the last message and down at the first."""
        near = None
        if self.cursor is not None and self._layout.get(self.cursor.key) is not None:
            near = self.cursor.key
        elif self._layout.entries:  # from hidden: start at the last (or first) message
            near = self._layout.entries[-1 if step < 0 else 0].key
        targets = cursor_targets(self._layout, near)
        if not targets:
            return
        if self.cursor in targets:
            index = min(max(targets.index(self.cursor) + step, 0), len(targets) - 1)
        elif step < 0:
            index = max(i for i, t in enumerate(targets) if t.code == 0)
        else:
            index = 0
        self._set_cursor(targets[index])
        self.scroll_to_cursor()

    def set_cursor(self, message_id: str | None, code: int = 0) -> None:
        """Put the cursor on a message (or code block ``code`` of it); None hides it."""
        target = None
        if message_id is not None and self._layout.get(message_id) is not None:
            target = CursorTarget(message_id, code)
        self._set_cursor(target)
        if target is not None:
            self.scroll_to_cursor()

    def _set_cursor(self, target: CursorTarget | None, lost: Message | None = None) -> None:
        """Put the cursor on ``target``; ``lost``: the message it had to leave (see
        ``_lost``), None when the cursor was put there on purpose."""
        self._lost = (lost, target) if lost is not None and target is not None else None
        if target != self.cursor:
            self.cursor = target
            self.refresh()

    def _show_cursor(self, scroll: bool = False) -> None:
        """Show the cursor where keys act when it has no place (see :func:`default_target`);
        ``scroll`` to it only when asked (the focus given): content arriving must not pull
        a view that follows the stream away from the end."""
        bottom = int(self.scroll_y) + self.scrollable_content_region.height
        self._set_cursor(default_target(self._layout, bottom))
        if scroll:
            self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        """Scroll so that the cursor's line (and a little after it) is in view."""
        cursor = self.cursor
        entry = self._layout.get(cursor.key) if cursor is not None else None
        context = self._get_context()
        if cursor is None or entry is None or context is None:
            return
        if not entry.rendered:
            entry.render(context)
            self._relayout(False)
        line = self._layout.offsets[entry.index] + target_line(entry, cursor.code)
        height = self.scrollable_content_region.height
        top = int(self.scroll_y)
        if line < top or line >= top + height - 2:
            self._set_view(max(line - height // 3, 0))
            self._render_visible(False)
            self._relayout(False)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(step)

    def on_focus(self, event: events.Focus) -> None:
        """Keys act on the message under the cursor: with the focus, the cursor shows (on the
        last message in view if it had no place), so what they act on is highlighted."""
        if self.cursor_message is None:
            self._show_cursor(scroll=True)

    def on_click(self, event: events.Click) -> None:
        """A click puts the cursor on the message (or code block) clicked and focuses the
        pane; the click that ends a drag (a text selection) leaves the cursor alone."""
        offset = event.get_content_offset(self)
        if event.chain != 1 or offset is None or self.text_selection is not None:
            return
        target = target_at(self._layout, int(self.scroll_y) + offset.y)
        if target is not None:
            self._set_cursor(target)
            self.focus()

    # ---------------------------------------------------------------- search matches

    def set_highlight(self, pattern: re.Pattern[str] | None) -> None:
        """Highlight every match of ``pattern`` in the visible lines (None: stop)."""
        self._highlight = pattern
        if pattern is None:
            self._current_match = None
        self.refresh()

    def has_message(self, message_id: str) -> bool:
        """True if the message is on screen (e.g. not in another branch)."""
        return self._layout.get(message_id) is not None

    def key_at_top(self) -> str | None:
        """The key (message id) of the entry at the top of the view."""
        anchor = self._layout.anchor(int(self.scroll_y))
        return anchor[0].key if anchor is not None else None

    def scroll_to_match(self, key: str, occurrence: int = 0) -> bool:
        """Scroll to match number ``occurrence`` of the highlight in the entry ``key`` (a
        message id) and mark it as the current one; False if there is no such entry."""
        entry = self._layout.get(key)
        context = self._get_context()
        if entry is None or context is None:
            return False
        if not entry.rendered:
            entry.render(context)
            self._layout.update()
        line, span = (0, None)
        if self._highlight is not None:
            line, span = find_occurrence(entry.lines, self._highlight, occurrence)
        self._current_match = (key, line, span)
        view = self.scrollable_content_region.height
        for attempt in range(3):  # rendering the entries in view may move the target: settle
            target = self._layout.offsets[entry.index] + line
            if attempt and self.scroll_y <= target < self.scroll_y + view:
                break
            self._set_view(max(target - min(view // 3, line), 0))
            if self._render_visible(follow=False):
                self._relayout(False)
        self.refresh()
        return True

    # ---------------------------------------------------------------- entries

    def _drop_all(self) -> None:
        self._layout.clear()
        self._dirty.clear()
        self._backlog = False
        self._frames.cancel()
        if self.is_mounted:
            self.workers.cancel_group(self, "chat-log-backlog")
