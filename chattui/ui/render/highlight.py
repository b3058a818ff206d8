"""Search matches drawn over the chat pane's lines.

The chat log keeps its rendered lines as they are; while a search term is highlighted,
:func:`highlight_strip` restyles the matches of each line as it is drawn (only the visible lines,
so the cost does not grow with the conversation). Matches are found in the line's plain text and
mapped to cells, so double-width characters are handled. A match split by a line wrap is not
highlighted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

__all__ = ["MATCH_CLASSES", "MATCH_CSS", "find_occurrence", "highlight_strip", "line_spans"]

MATCH_CLASSES = frozenset({"chat-log--match", "chat-log--match-current"})
MATCH_CSS = """
ChatLog > .chat-log--match { background: $warning 35%; color: $text; }
ChatLog > .chat-log--match-current { background: $accent; color: $text; text-style: bold; }
"""


def line_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Character spans of the non-empty matches of ``pattern`` in ``text``."""
    return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]


def find_occurrence(
    lines: Sequence[Strip], pattern: re.Pattern[str], occurrence: int
) -> tuple[int, tuple[int, int] | None]:
    """The line holding match number ``occurrence`` (0-based) of ``pattern`` in ``lines``,
    and its character span; the last match if there are fewer, ``(0, None)`` if none."""
    last: tuple[int, tuple[int, int] | None] = (0, None)
    seen = 0
    for number, strip in enumerate(lines):
        for span in line_spans(strip.text, pattern):
            last = (number, span)
            if seen == occurrence:
                return last
            seen += 1
    return last


def highlight_strip(
    strip: Strip,
    pattern: re.Pattern[str],
    style: Style,
    current: tuple[int, int] | None = None,
    current_style: Style | None = None,
) -> Strip:
    """``strip`` with every match of ``pattern`` restyled (``current``, a character span,
    with ``current_style``)."""
    text = strip.text
    spans = line_spans(text, pattern)
    if not spans:
        return strip
    cuts: list[int] = []
    styles: list[Style | None] = []
    position = 0
    cell = 0
    for start, end in spans:
        cell += cell_len(text[position:start])
        cuts.append(cell)
        styles.append(None)
        cell += cell_len(text[start:end])
        cuts.append(cell)
        styles.append(current_style if (start, end) == current and current_style else style)
        position = end
    cuts.append(strip.cell_length)
    styles.append(None)
    pieces = strip.divide(cuts)
    out: list[Strip] = []
    for piece, piece_style in zip(pieces, styles, strict=False):
        if piece_style is None or not piece.cell_length:
            out.append(piece)
        else:
            segments = Segment.apply_style(iter(piece), post_style=piece_style)
            out.append(Strip(segments, piece.cell_length))
    return Strip.join(out)
