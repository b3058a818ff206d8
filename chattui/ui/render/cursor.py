"""The message cursor and text selection over the chat pane's lines (no widget code here).

The cursor stops on every message and, inside a reply, on each code block; its position is a
:class:`CursorTarget`. Selection works on the lines as drawn: offsets are characters of a line's
text (Textual's selection API), and the copied text leaves out the tinted padding of user
messages and code blocks, so it is the text as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip

from chattui.ui.render.entries import AssistantEntry, Entry, RenderContext, UserEntry
from chattui.ui.render.layout import EntryLayout
from chattui.ui.render.strips import WrappedStrip

__all__ = [
    "SELECTION_STRIDE",
    "CursorTarget",
    "cursor_targets",
    "default_target",
    "highlight_span",
    "offset_at_cell",
    "selected_text",
    "selection_line",
    "shown_neighbour",
    "target_at",
    "target_line",
]


@dataclass(frozen=True)
class CursorTarget:
    """A message (``code == 0``) or code block ``code`` (from 1) of a reply."""

    key: str
    code: int = 0


def is_message(entry: Entry) -> bool:
    """True for the entries the cursor stops on."""
    return isinstance(entry, UserEntry | AssistantEntry)


def cursor_targets(layout: EntryLayout, near: str | None = None) -> list[CursorTarget]:
    """The cursor stops, top to bottom: all of them, or only those of the few messages around
    the entry ``near`` (moving one step never needs more, and a reply's code blocks are only
    counted when needed, so moving stays cheap in a long conversation)."""
    entries = layout.entries
    anchor = layout.get(near) if near is not None else None
    if anchor is not None:
        entries = entries[max(anchor.index - 3, 0) : anchor.index + 4]
    targets: list[CursorTarget] = []
    for entry in entries:
        if not is_message(entry):
            continue
        targets.append(CursorTarget(entry.key))
        if isinstance(entry, AssistantEntry):
            count = len(entry.code_spans) if entry.rendered else len(entry.code_blocks())
            targets.extend(CursorTarget(entry.key, n) for n in range(1, count + 1))
    return targets


def target_line(entry: Entry, code: int) -> int:
    """The line of ``entry`` the cursor highlights for code block ``code`` (0: the header)."""
    if code and isinstance(entry, AssistantEntry) and code <= len(entry.code_spans):
        return entry.code_spans[code - 1][0]
    return 0


def target_at(layout: EntryLayout, line: int) -> CursorTarget | None:
    """The stop at line ``line`` of the pane (a click there): the code block of a reply that
    holds the line, else its message; None off the messages (a notice, the system prompt)."""
    if not layout.entries or not 0 <= line < layout.height:
        return None
    entry = layout.entries[layout.index_at(line)]
    if not is_message(entry):
        return None
    local = line - layout.offsets[entry.index]
    if isinstance(entry, AssistantEntry):
        for number, (start, end) in enumerate(entry.code_spans, start=1):
            if start <= local < end:
                return CursorTarget(entry.key, number)
    return CursorTarget(entry.key)


def default_target(layout: EntryLayout, bottom: int) -> CursorTarget | None:
    """Where the cursor appears when it had no place: on the last message that starts above
    line ``bottom`` (the end of the view), which is the last message when the view is at the
    end; on the last message if none does; None without messages."""
    messages = [entry for entry in layout.entries if is_message(entry)]
    for entry in reversed(messages):
        if layout.offsets[entry.index] < bottom:
            return CursorTarget(entry.key)
    return CursorTarget(messages[-1].key) if messages else None


def shown_neighbour(layout: EntryLayout, keys: list[str], index: int) -> str | None:
    """The message nearest to ``keys[index]`` (a message gone from the pane) among ``keys``
    (the messages shown before, in order) that ``layout`` still shows: the one before it
    first, else the one after; None if none is shown (another conversation)."""
    for key in [*reversed(keys[:index]), *keys[index + 1 :]]:
        if layout.get(key) is not None:
            return key
    return None


def _left_padding(entry: Entry, line: int) -> int:
    """Cells of tinted padding at the start of ``line`` of ``entry`` (not part of the text)."""
    if isinstance(entry, UserEntry):
        return 1 if 0 < line < entry.height - 1 else 0
    if isinstance(entry, AssistantEntry):
        for start, end in entry.code_spans:
            if start < line < end:
                return 1
    return 0


SELECTION_STRIDE = 1 << 24
"""Selection coordinates are ``entry index * SELECTION_STRIDE + line in the entry``: they do
not move when an entry above changes height (a reply streaming, the background renderer), so
the strips' selection offsets stay cached from frame to frame."""


def selection_line(entry: Entry, line: int) -> int:
    """The selection coordinate of ``line`` of ``entry``."""
    return entry.index * SELECTION_STRIDE + line


def selected_text(layout: EntryLayout, selection: Selection, context: RenderContext | None) -> str:
    """The plain text under ``selection`` (lines as drawn, without padding or trailing blanks;
    a line the pane wrapped is joined again, see :class:`WrappedStrip`)."""
    if not layout.entries:
        return ""
    first = selection.start.y // SELECTION_STRIDE if selection.start is not None else 0
    last = selection.end.y // SELECTION_STRIDE if selection.end is not None else len(layout) - 1
    lines: list[str] = []
    for entry in layout.entries[max(first, 0) : last + 1]:
        if not entry.rendered and context is not None:
            entry.render(context)
        joinable = False
        """Whether the line above was selected to its end (a wrap of it joins it)."""
        for local, strip in enumerate(entry.lines):
            span = selection.get_span(selection_line(entry, local))
            if span is None:
                joinable = False
                continue
            start, end = span
            text = strip.text
            piece = text[start:] if end == -1 else text[start:end]
            padding = _left_padding(entry, local)
            if start < padding:
                piece = piece[padding - start :]
            if joinable and isinstance(strip, WrappedStrip):
                lines[-1] = lines[-1] + strip.joint + piece.lstrip(" ▌").rstrip()
            else:
                lines.append(piece.rstrip())
            joinable = end == -1
    return "\n".join(lines).strip("\n")


def offset_at_cell(strip: Strip, x: int) -> Offset | None:
    """The selection offset of the character drawn at cell ``x`` of ``strip`` (a line of the
    pane, with its offsets). Textual rounds a cell on the right half of a wide character up
    to the next character, so a selection ending there took in one character too many."""
    cells = 0
    for segment in strip:
        width = segment.cell_length
        meta = segment.style.meta if segment.style is not None else {}
        if cells <= x < cells + width and "offset" in meta:
            offset_x, offset_y = meta["offset"]
            for index, character in enumerate(segment.text):
                cells += get_character_cell_size(character)
                if cells > x:
                    return Offset(offset_x + index, offset_y)
            return None
        cells += width
    return None


def highlight_span(strip: Strip, start: int, end: int, style: Style) -> Strip:
    """``strip`` with characters ``start`` .. ``end`` (-1: the end) styled with ``style``
    (over the segments' own colours, so what it sets is what is painted)."""
    text = strip.text
    end = len(text) if end == -1 else min(end, len(text))
    if start >= end:
        return strip
    cell_start = sum(get_character_cell_size(c) for c in text[:start])
    cell_end = cell_start + sum(get_character_cell_size(c) for c in text[start:end])
    before, middle, after = strip.divide([cell_start, cell_end, strip.cell_length])
    restyled = Strip(Segment.apply_style(iter(middle), post_style=style), middle.cell_length)
    return Strip.join([before, restyled, after])
