"""The chat pane's view: entries in one Line-API widget.

``LogView`` is a ``ScrollView`` whose ``render_line(y)`` maps a line to its entry with a bisect
over the entries' prefix-summed heights, so only the visible lines are drawn. Entries are rendered
lazily: the ones in view (or at the bottom) at once, the others within ten screens by a
background worker from the bottom up, in short slices, the rest when scrolled to; until then
their height is an estimate, and corrections above the view shift the scroll position so that
nothing on screen moves.

If the view is at the bottom when content grows, it stays there; once the user scrolls up (wheel,
keys, scrollbar) it does not move, until a scroll ends at the bottom again. A width or theme
change re-renders from the cached blocks. Lines are kept as painted between frames while what
they depend on holds (:mod:`chattui.ui.render.painted`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual import work
from textual.color import Color
from textual.events import Resize
from textual.geometry import Offset, Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.theme import Theme

from chattui.core.models import Message
from chattui.ui.render.cursor import (
    CursorTarget,
    highlight_span,
    offset_at_cell,
    selected_text,
    selection_line,
    target_line,
)
from chattui.ui.render.entries import (
    Entry,
    RenderContext,
)
from chattui.ui.render.highlight import highlight_strip
from chattui.ui.render.layout import EntryLayout

if TYPE_CHECKING:
    from chattui.ui.render.markdown import BlockRenderer
from chattui.ui.render.painted import PaintedLines
from chattui.ui.render.palette import (
    Palette,
    build_palette,
    code_theme_of,
    painted_style,
    readable_on,
)

__all__ = ["LogView"]


class LogView(ScrollView):
    """Entries in a Line-API scroll view: lazy rendering, following, painting (see the module
    docstring). :class:`~chattui.ui.widgets.chat_log.ChatLog` adds messages, streaming, the
    cursor and search on top."""

    BACKLOG_SLICE: ClassVar[float] = 0.006
    """Longest stretch of background rendering before yielding to the event loop."""
    BACKLOG_PAUSE: ClassVar[float] = 0.012
    """Shortest pause between two slices of background rendering."""
    BACKLOG_SCREENS: ClassVar[int] = 10
    """The background rendering covers this many screens above and below the view."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._layout = EntryLayout()
        self._palette: Palette | None = None
        self._renderer: BlockRenderer | None = None
        self._usage_label: Callable[[Message], str] | None = None
        self._render_ctx: RenderContext | None = None
        self._render_width = 0
        """The width the entries are rendered at (changed by :meth:`_invalidate_all` only)."""
        self._error_hint = ""
        self._backlog = False
        self._relayout_pending = False
        self._in_layout = False
        self._line_style: Style | None = None
        self._line_width = 0
        self._line_context: RenderContext | None = None
        self._painted = PaintedLines()
        self.cursor: CursorTarget | None = None
        """What the message cursor is on (None: hidden)."""
        self._follow = True
        """Whether new content scrolls into view: the user's last scroll, by any means, ended
        at the bottom (set by scrolls that are not our own layout work)."""
        self._highlight: re.Pattern[str] | None = None
        self._current_match: tuple[str, int, tuple[int, int] | None] | None = None
        """(entry key, line in the entry, character span) of the search hit in focus."""

    def scroll_to_latest(self) -> None:
        """Jump to the bottom (and so follow the stream again)."""
        self._follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    @property
    def is_following(self) -> bool:
        """True if new content scrolls into view (the view was left at the bottom)."""
        return self._follow

    # ---------------------------------------------------------------- selection

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The plain text under the mouse selection (Textual's selection API)."""
        return selected_text(self._layout, selection, self._get_context()), "\n"

    def selection_offset_at(self, x: int, y: int) -> Offset | None:
        """The selection offset of the character at screen cell (``x``, ``y``), a wide
        character's right half included (the screen asks, see ``MainScreen``)."""
        region = self.content_region
        if not region.contains(x, y):
            return None
        return offset_at_cell(self.render_line(y - region.y), x - region.x)

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def _highlighted(self, strip: Strip, y: int) -> Strip:
        """``strip`` (line ``y`` of the pane) with the search matches restyled."""
        assert self._highlight is not None
        current = None
        if self._current_match is not None:
            key, line, span = self._current_match
            index = self._layout.index_at(y)
            entry = self._layout.entries[index]
            if entry.key == key and y - self._layout.offsets[index] == line:
                current = span
        return highlight_strip(
            strip,
            self._highlight,
            self._component_style("chat-log--match"),
            current,
            self._component_style("chat-log--match-current"),
        )

    # ---------------------------------------------------------------- entries

    @property
    def _width(self) -> int:
        return max(self.scrollable_content_region.width, 1)

    def _append(self, entry: Entry) -> None:
        entry.invalidate(self._width)
        self._layout.append(entry)

    def _add(self, entry: Entry) -> None:
        follow = self.is_following
        self._append(entry)
        context = self._get_context()
        if context is not None:
            entry.render(context)
        self._relayout(follow)

    def _replace(self, old: Entry, new: Entry) -> None:
        follow = self.is_following
        height = old.height
        above = self._layout.is_above(old, self.scroll_target_y)
        self._layout.replace(old, new)
        context = self._get_context()
        if context is not None:
            new.render(context)
        else:
            new.invalidate(self._width)
        self._relayout(follow, new.height - height if above else 0)

    # ---------------------------------------------------------------- rendering

    def _get_context(self) -> RenderContext | None:
        """The render context for the rendered width and palette (None before layout)."""
        if not self.is_mounted or self.scrollable_content_region.width <= 0:
            return None
        if self._palette is None:
            self._palette = self._build_palette()
        if self._renderer is None or self._renderer.palette != self._palette:
            from chattui.ui.render.markdown import BlockRenderer

            self._renderer = BlockRenderer(self._palette)
            self._render_ctx = None
        if not self._render_width:
            self._render_width = self._width
        context = self._render_ctx
        if context is None:
            context = RenderContext(
                self._renderer, self._render_width, self._error_hint, self._usage_label
            )
            self._render_ctx = context
        return context

    def _component_style(self, name: str) -> Style:
        """A component class's own style, its colours as painted over the pane."""
        own = self.get_component_rich_style(name, partial=True)
        return painted_style(own, self.get_component_rich_style(name))

    def _build_palette(self) -> Palette:
        theme = self.app.current_theme
        return build_palette(
            self._component_style, dark=theme.dark, code_theme=code_theme_of(theme)
        )

    def _invalidate_all(self, follow: bool | None = None) -> None:
        """Width or palette changed: forget rendered lines, keep the view where it was."""
        follow = self.is_following if follow is None else follow
        anchor = self._layout.anchor(int(self.scroll_y))
        for entry in self._layout:
            entry.invalidate(self._width)
        self._render_ctx = None
        self._render_width = self._width
        self._layout.update()
        if anchor is not None and not follow:
            self._set_view(self._layout.anchor_line(anchor))
        self._refresh_all(follow)

    def _set_view(self, top: int) -> None:
        """Scroll so that line ``top`` is at the top, sizing the view first (following the
        stream only if that is the bottom)."""
        self._in_layout = True
        try:
            self._set_virtual_size(Size(self._width, self._layout.height))
            self.scroll_to(y=top, animate=False, force=True)
        finally:
            self._in_layout = False
        self._follow = self.scroll_y >= self.max_scroll_y

    def _render_visible(self, follow: bool) -> bool:
        """Render the unrendered entries in view (the bottom ones if ``follow``)."""
        if not self._layout.entries:
            return False  # nothing to render: don't load the Markdown renderer yet
        context = self._get_context()
        if context is None:
            return False
        height = self.scrollable_content_region.height
        if follow:
            return self._layout.render_bottom(context, height)
        return self._layout.render_window(context, int(self.scroll_y), height)

    def _refresh_all(self, follow: bool) -> None:
        """Render what is in view now, the rest in the background."""
        self._render_visible(follow)
        self._relayout(follow)
        if self._layout.pending():
            self._backlog = True
            if self.is_mounted:
                self._render_backlog()

    @work(exclusive=True, group="chat-log-backlog", exit_on_error=False)
    async def _render_backlog(self) -> None:
        """Render the entries not yet rendered near the view, from the bottom up, in short
        slices. Farther ones keep their estimated height until they come into view (they
        are rendered then, see :meth:`watch_scroll_y`): a 1,000-message conversation would
        otherwise keep a core busy for many seconds."""
        view = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_target_y)
        margin = self.BACKLOG_SCREENS * view
        pending = self._layout.pending_near(top - margin, top + view + margin)
        while pending:
            context = self._get_context()
            if context is None:
                break
            follow = self.is_following
            deadline = perf_counter() + self.BACKLOG_SLICE
            start = perf_counter()
            shift = self._layout.render_some(context, pending, self.scroll_target_y, deadline)
            self._relayout(follow, shift)
            # Leave the loop idle for twice as long as the slice took, so that keys, the
            # stream and repaints never queue behind several slices.
            await asyncio.sleep(max(self.BACKLOG_PAUSE, 2 * (perf_counter() - start)))
        self._backlog = False

    def _relayout(self, follow: bool, shift: int = 0) -> None:
        """Recompute line offsets and the virtual size; stay at the bottom if ``follow``.

        ``shift``: lines added (or removed) above the view, to keep what is on screen in place.
        """
        self._relayout_pending = False
        self._layout.update()
        self._in_layout = True
        try:
            self._set_virtual_size(Size(self._width, self._layout.height))
            if follow:
                self.scroll_to_latest()
            elif shift:
                # From the target: a scroll still animating (PgUp, Home) ends where it was going.
                self.scroll_to(y=self.scroll_target_y + shift, animate=False, force=True)
        finally:
            self._in_layout = False
        self.refresh()

    def _set_virtual_size(self, size: Size) -> None:
        """Set the scrollable size without a layout of the whole screen when possible.

        ``virtual_size`` is a layout reactive: each change (every frame of a stream, every
        slice of the backlog) would arrange every widget of the screen again. The pane's own
        size never depends on its content, so only its scrollbars need updating, unless the
        content starts or stops overflowing (a scrollbar appears or goes: a real layout). The
        width follows the pane's (a line never overflows it): the first one, known once the
        screen is laid out, needs no layout either.
        """
        old = self.virtual_size
        if size == old:
            return
        region = self.scrollable_content_region
        view = region.height
        if (
            not self.is_mounted
            or (old.height > view) != (size.height > view)
            or (old.width > region.width) != (size.width > region.width)
        ):
            self.virtual_size = size
            return
        self.set_reactive(LogView.virtual_size, size)
        self._scroll_update(size)  # Textual's own update of the scrollbars and the offsets
        self.refresh()

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
        # Following is a state, not a position: a resize (or the prompt growing) changes
        # the position, and must not leave a following view stranded above the end.
        follow = self._follow
        if self._render_width != self._width:
            self._invalidate_all(follow)
        elif follow:
            self.scroll_to_latest()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._in_layout:
            return
        self._user_scrolled(new_value)
        if self._render_visible(follow=False):  # entries beyond the backlog's reach
            self._relayout(False)

    def watch_scroll_target_y(self, value: float) -> None:
        # An animated scroll (keys) sets its target first: stop following at once, or the
        # next frame of the stream would pull the view back to the bottom.
        if not self._in_layout:
            self._user_scrolled(value)

    def _user_scrolled(self, y: float) -> None:
        """Follow the stream again only from the very bottom, in any direction."""
        self._follow = y >= self.max_scroll_y and self.scroll_target_y >= self.max_scroll_y

    def action_scroll_end(self) -> None:
        self.scroll_to_latest()

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line needs, once per paint: the pane's style (its background over its
        # ancestors'), its width, the render context, and whether painted lines still hold.
        style = self._line_style = self.rich_style
        self._line_width = self.scrollable_content_region.width
        # Not before there is something to show: it loads the Markdown renderer (first frame).
        self._line_context = self._get_context() if self._layout.entries else None
        depends_on = (
            style,
            self._line_width,
            self.app.theme,
            self.cursor,
            self.text_selection,
            self._highlight,
            self._current_match,
        )
        self._painted.begin(depends_on, crop.height)
        try:
            return super().render_lines(crop)
        finally:
            self._painted.end()
            self._line_style = None
            self._line_context = None

    def render_line(self, y: int) -> Strip:
        style = self._line_style
        if style is None:  # called outside render_lines: nothing prepared, nothing reused
            style = self.rich_style
            width, context = self.scrollable_content_region.width, self._get_context()
        else:
            width, context = self._line_width, self._line_context
        if not self._layout.entries:
            # Nothing to show (a new conversation): no need to load the Markdown renderer,
            # which keeps the first frame fast.
            return Strip.blank(width, style)
        line = self.scroll_offset.y + y
        strip, rendered = self._layout.line(line, context)
        if rendered and not self._relayout_pending:
            # An entry was rendered just now: fix the offsets after this frame.
            self._relayout_pending = True
            self.call_later(self._deferred_relayout)
        if strip is None:
            return Strip.blank(width, style)
        index = self._layout.index_at(line)
        entry = self._layout.entries[index]
        local = line - self._layout.offsets[index]
        painted = self._painted.get(line, strip, entry, local)
        if painted is not None:
            return painted
        stored = strip
        if self._highlight is not None:
            strip = self._highlighted(strip, line)
        if strip.cell_length != width:
            strip = strip.crop_extend(0, width, None)
        strip = self._decorate(strip, entry, local).apply_style(style)
        return self._painted.put(line, stored, entry, local, strip)

    def _decorate(self, strip: Strip, entry: Entry, local: int) -> Strip:
        """The cursor highlight, the mouse selection, and the offsets selection needs (line
        ``local`` of ``entry``)."""
        cursor = self.cursor
        if (
            cursor is not None
            and cursor.key == entry.key
            and local == target_line(entry, cursor.code)
        ):
            # Over the line's own colours: a coloured label on the cursor's tint can be unreadable.
            cursor_style = self.get_component_rich_style("chat-log--cursor")
            strip = highlight_span(strip, 0, -1, cursor_style)
        coordinate = selection_line(entry, local)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(coordinate)) is not None:
            # The background only: the theme's selection foreground is usually "transparent",
            # which as a Rich style is the background colour, hiding the text.
            # The text gets the colour that reads on it, as on the cursor line.
            selected = self.screen.get_component_rich_style("screen--selection")
            color = None
            if selected.bgcolor is not None and selected.bgcolor.triplet is not None:
                color = readable_on(Color.from_rich_color(selected.bgcolor)).rich_color
            strip = highlight_span(
                strip, span[0], span[1], Style(color=color, bgcolor=selected.bgcolor)
            )
        return strip.apply_offsets(0, coordinate)
