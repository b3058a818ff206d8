"""The chat pane: the whole conversation in one Line-API widget.

``ChatLog`` is a ``ScrollView`` whose ``render_line(y)`` maps a line to its entry with a bisect
over the entries' prefix-summed heights, so only the visible lines are drawn. Entries are rendered
lazily: the ones in view (or at the bottom) at once, the others by a background worker from the
bottom up, in short slices; until then their height is an estimate, and corrections above the
view shift the scroll position so that nothing on screen moves.

Streamed text is buffered per delta and rendered at most once per frame (adaptive: rendering
may use at most about a third of the time); only the open tail of the reply is re-rendered. If
the view is at the bottom when content grows, it stays there; if the user scrolled up, it does
not move. A width or theme change re-renders from the cached blocks.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from time import monotonic, perf_counter
from typing import ClassVar

from textual import work
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme
from textual.timer import Timer

from chattui.core.models import Message, MessageStatus, Role
from chattui.ui.render.entries import (
    AssistantEntry,
    Entry,
    NoticeEntry,
    RenderContext,
    SystemEntry,
    entry_for,
)
from chattui.ui.render.markdown import BlockRenderer
from chattui.ui.render.palette import COMPONENT_CLASSES, COMPONENT_CSS, Palette, build_palette

__all__ = ["ChatLog"]

_SYSTEM_KEY = "system-prompt"


class ChatLog(ScrollView, can_focus=True):
    """The messages of one conversation, rendered for speed (see the module docstring)."""

    DEFAULT_CSS = (
        """
    ChatLog {
        background: $background;
        padding: 0 1;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
    }
    """
        + COMPONENT_CSS
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = set(COMPONENT_CLASSES)

    FRAME_INTERVAL: ClassVar[float] = 1 / 40
    """Shortest time between two renders of a streaming reply."""
    BACKLOG_SLICE: ClassVar[float] = 0.008
    """Longest stretch of background rendering before yielding to the event loop."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._entries: list[Entry] = []
        self._by_key: dict[str, Entry] = {}
        self._offsets: list[int] = [0]
        self._palette: Palette | None = None
        self._renderer: BlockRenderer | None = None
        self._context: RenderContext | None = None
        self._error_hint = ""
        self._dirty: dict[AssistantEntry, None] = {}
        self._flush_timer: Timer | None = None
        self._next_flush = 0.0
        self._notices = 0
        self._backlog = False
        self._relayout_pending = False
        self._in_layout = False

    # ---------------------------------------------------------------- public API

    def set_conversation(self, messages: Sequence[Message], system_prompt: str = "") -> None:
        """Replace everything with ``messages`` (and a collapsed system prompt if given)."""
        self._drop_all()
        if system_prompt.strip():
            self._append_entry(SystemEntry(_SYSTEM_KEY, system_prompt))
        for message in messages:
            self._append_entry(entry_for(message))
        self._reset_view()

    def add_message(self, message: Message) -> None:
        """Append ``message``; a streaming assistant message receives :meth:`append_text`."""
        live = message.role is Role.ASSISTANT and message.status is MessageStatus.STREAMING
        self._add(entry_for(message, live=live))

    def append_text(self, message_id: str, delta: str) -> None:
        """Append streamed text to a reply; it is rendered on the next frame, not now."""
        entry = self._by_key.get(message_id)
        if not isinstance(entry, AssistantEntry) or not delta:
            return
        entry.append(delta)
        self._dirty[entry] = None
        if self._flush_timer is None:
            delay = max(0.0, self._next_flush - monotonic())
            self._flush_timer = self.set_timer(delay, self._on_flush_timer, name="chat-log-flush")

    def update_message(self, message: Message) -> None:
        """Show a changed message (status, error, final content): re-render that entry."""
        entry = self._by_key.get(message.id)
        if entry is None:
            return
        self._dirty.pop(entry, None)  # type: ignore[call-overload]
        if isinstance(entry, AssistantEntry) and message.role is Role.ASSISTANT:
            entry.set_message(message)
            self._replace_entry(entry, entry)
        else:
            self._replace_entry(entry, entry_for(message))

    def remove_message(self, message_id: str) -> None:
        """Remove a message from the pane."""
        entry = self._by_key.pop(message_id, None)
        if entry is None:
            return
        self._dirty.pop(entry, None)  # type: ignore[call-overload]
        follow = self.is_following
        above = self._offsets[entry.index] + entry.height <= self.scroll_y
        self._entries.remove(entry)
        self._relayout(follow, -entry.height if above else 0)

    def add_notice(self, text: str) -> None:
        """Append a line of information, e.g. "3 earlier messages not sent"."""
        self._notices += 1
        self._add(NoticeEntry(f"notice-{self._notices}", text))

    def set_error_hint(self, text: str) -> None:
        """Set the hint shown after error messages, e.g. "Ctrl+R retry"."""
        if text == self._error_hint:
            return
        self._error_hint = text
        self._context = None
        for entry in self._entries:
            message = getattr(entry, "message", None)
            if isinstance(message, Message) and message.status is MessageStatus.ERROR:
                entry.invalidate(self._width)
        self._refresh_layout(self.is_following)

    def set_system_expanded(self, expanded: bool) -> None:
        """Show the whole system prompt (``True``) or its first words only."""
        entry = self._by_key.get(_SYSTEM_KEY)
        if isinstance(entry, SystemEntry) and entry.expanded != expanded:
            self._replace_entry(entry, SystemEntry(_SYSTEM_KEY, entry.text, expanded))

    def toggle_system_prompt(self) -> None:
        """Expand or collapse the system prompt."""
        entry = self._by_key.get(_SYSTEM_KEY)
        if isinstance(entry, SystemEntry):
            self.set_system_expanded(not entry.expanded)

    def clear(self) -> None:
        """Remove everything."""
        self._drop_all()
        self._relayout(True)

    def scroll_to_latest(self) -> None:
        """Jump to the bottom (and so follow the stream again)."""
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def flush(self) -> None:
        """Render buffered streamed text now instead of on the next frame."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not self._dirty:
            return
        start = perf_counter()
        follow = self.is_following
        context = self._get_context()
        dirty = list(self._dirty)
        self._dirty.clear()
        for entry in dirty:
            if self._by_key.get(entry.key) is not entry:
                continue
            if context is None:
                entry.document.flush()
            else:
                entry.update_stream(context)
        self._relayout(follow)
        cost = perf_counter() - start
        self._next_flush = monotonic() + max(self.FRAME_INTERVAL, 2 * cost)

    @property
    def is_following(self) -> bool:
        """True if the view is at the bottom (within a line), so new content stays in view."""
        return self.scroll_y >= self.max_scroll_y - 1

    def rendered_text(self) -> str:
        """Plain text of every line, all entries rendered first (for tests; O(conversation))."""
        self.flush()
        context = self._get_context()
        lines: list[str] = []
        for entry in self._entries:
            if not entry.rendered and context is not None:
                entry.render(context)
            lines.extend(strip.text.rstrip() for strip in entry.lines)
        self._refresh_layout(self.is_following)
        return "\n".join(lines)

    # ---------------------------------------------------------------- entries

    @property
    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 1)

    def _append_entry(self, entry: Entry) -> None:
        old = self._by_key.pop(entry.key, None)
        if old is not None:
            self._entries.remove(old)
        entry.invalidate(self._width)
        self._entries.append(entry)
        self._by_key[entry.key] = entry

    def _add(self, entry: Entry) -> None:
        follow = self.is_following
        self._append_entry(entry)
        context = self._get_context()
        if context is not None:
            entry.render(context)
        self._relayout(follow)

    def _replace_entry(self, old: Entry, new: Entry) -> None:
        follow = self.is_following
        index = old.index
        above = self._offsets[index] + old.height <= self.scroll_y
        height = old.height
        self._entries[index] = new
        self._by_key[new.key] = new
        new.index = index
        context = self._get_context()
        if context is not None:
            new.render(context)
        else:
            new.invalidate(self._width)
        self._relayout(follow, new.height - height if above else 0)

    def _drop_all(self) -> None:
        self._entries.clear()
        self._by_key.clear()
        self._dirty.clear()
        self._backlog = False
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self.workers.cancel_group(self, "chat-log-backlog")

    def _reset_view(self) -> None:
        """After replacing or invalidating everything: render the bottom, scroll there."""
        self._update_offsets()
        self._render_visible(follow=True)
        self._relayout(True)
        self._start_backlog()

    # ---------------------------------------------------------------- rendering

    def _get_context(self) -> RenderContext | None:
        """The render context for the current width and palette (None before layout)."""
        if not self.is_mounted or self.scrollable_content_region.width <= 0:
            return None
        if self._palette is None:
            self._palette = self._build_palette()
        if self._renderer is None or self._renderer.palette != self._palette:
            self._renderer = BlockRenderer(self._palette)
            self._context = None
        context = self._context
        if context is None or context.width != self._width:
            context = RenderContext(self._renderer, self._width, self._error_hint)
            self._context = context
        return context

    def _build_palette(self) -> Palette:
        def style_of(name: str) -> Style:
            return self.get_component_rich_style(name, partial=True)

        return build_palette(style_of, dark=self.app.current_theme.dark)

    def _invalidate_all(self) -> None:
        """Width or palette changed: forget rendered lines, render what is in view."""
        follow = self.is_following
        anchor = self._anchor()
        width = self._width
        for entry in self._entries:
            entry.invalidate(width)
        self._context = None
        self._update_offsets()
        if anchor is not None and not follow:
            entry, fraction = anchor
            self._in_layout = True
            try:
                self.virtual_size = Size(width, self._offsets[-1])
                top = self._offsets[entry.index] + int(fraction * entry.height)
                self.scroll_to(y=top, animate=False, force=True)
            finally:
                self._in_layout = False
        self._render_visible(follow)
        self._relayout(follow)
        self._start_backlog()

    def _anchor(self) -> tuple[Entry, float] | None:
        """The entry at the top of the view and how far into it the view starts."""
        if not self._entries:
            return None
        top = int(self.scroll_y)
        index = min(bisect_right(self._offsets, top) - 1, len(self._entries) - 1)
        entry = self._entries[max(index, 0)]
        return entry, (top - self._offsets[entry.index]) / max(entry.height, 1)

    def _render_visible(self, follow: bool) -> bool:
        """Render the unrendered entries in view (the bottom ones if ``follow``)."""
        context = self._get_context()
        if context is None or not self._entries:
            return False
        height = self.scrollable_content_region.height
        changed = False
        if follow:
            total = 0
            for entry in reversed(self._entries):
                if not entry.rendered:
                    entry.render(context)
                    changed = True
                total += entry.height
                if total > height + 1:
                    break
            return changed
        for _attempt in range(4):  # Entries may shrink and bring more into view.
            top = int(self.scroll_y)
            index = max(bisect_right(self._offsets, top) - 1, 0)
            rendered = False
            while index < len(self._entries) and self._offsets[index] < top + height:
                entry = self._entries[index]
                if not entry.rendered:
                    entry.render(context)
                    rendered = True
                index += 1
            if not rendered:
                break
            changed = True
            self._update_offsets()
        return changed

    def _start_backlog(self) -> None:
        if any(not entry.rendered for entry in self._entries):
            self._backlog = True
            self._render_backlog()

    @work(exclusive=True, group="chat-log-backlog", exit_on_error=False)
    async def _render_backlog(self) -> None:
        """Render the entries not yet rendered, from the bottom up, in short slices."""
        pending = [entry for entry in reversed(self._entries) if not entry.rendered]
        position = 0
        while position < len(pending):
            context = self._get_context()
            if context is None:
                break
            deadline = perf_counter() + self.BACKLOG_SLICE
            follow = self.is_following
            top = self.scroll_y
            shift = 0
            while position < len(pending) and perf_counter() < deadline:
                entry = pending[position]
                position += 1
                if entry.rendered or self._by_key.get(entry.key) is not entry:
                    continue
                height = entry.height
                above = self._offsets[entry.index] + height <= top
                entry.render(context)
                if above:
                    shift += entry.height - height
            self._relayout(follow, shift)
            await asyncio.sleep(0)
        self._backlog = False

    # ---------------------------------------------------------------- layout

    def _update_offsets(self) -> None:
        for index, entry in enumerate(self._entries):
            entry.index = index
        self._offsets = [0, *accumulate(entry.height for entry in self._entries)]

    def _relayout(self, follow: bool, shift: int = 0) -> None:
        """Recompute line offsets and the virtual size; stay at the bottom if ``follow``."""
        self._relayout_pending = False
        self._update_offsets()
        self._in_layout = True
        try:
            self.virtual_size = Size(self._width, self._offsets[-1])
            if follow:
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            elif shift:
                self.scroll_to(y=self.scroll_y + shift, animate=False, force=True)
        finally:
            self._in_layout = False
        self.refresh()

    def _refresh_layout(self, follow: bool) -> None:
        self._render_visible(follow)
        self._relayout(follow)
        self._start_backlog()

    def _deferred_relayout(self) -> None:
        if self._relayout_pending:
            self._relayout(self.is_following)

    # ---------------------------------------------------------------- Textual hooks

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, theme: Theme) -> None:
        self._check_palette()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self._palette is not None:
            self.call_later(self._check_palette)

    def _check_palette(self) -> None:
        if self._palette is None or not self.is_mounted:
            return
        palette = self._build_palette()
        if palette != self._palette:
            self._palette = palette
            self._invalidate_all()

    def on_resize(self, event: Resize) -> None:
        context = self._context
        if context is None or context.width != self._width:
            self._invalidate_all()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._backlog and not self._in_layout and self._render_visible(follow=False):
            self._relayout(False)

    def action_scroll_end(self) -> None:
        self.scroll_to_latest()

    def _on_flush_timer(self) -> None:
        self._flush_timer = None
        self.flush()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style
        line_y = int(self.scroll_y) + y
        offsets = self._offsets
        if not self._entries or not 0 <= line_y < offsets[-1]:
            return Strip.blank(width, style)
        index = bisect_right(offsets, line_y) - 1
        entry = self._entries[index]
        if not entry.rendered:
            context = self._get_context()
            if context is not None:
                entry.render(context)
                if not self._relayout_pending:
                    self._relayout_pending = True
                    self.call_later(self._deferred_relayout)
        strip = entry.line(line_y - offsets[index])
        if strip is None:
            return Strip.blank(width, style)
        if strip.cell_length != width:
            strip = strip.crop_extend(0, width, None)
        return strip.apply_style(style)
