"""Chinese and Japanese line breaking (kinsoku): no closing punctuation at the start of a
wrapped line, no opening punctuation at its end.

Rich wraps a run of CJK text cell by cell, so a line can start with ``，`` or ``。``. Where a
break would do that, it moves one character earlier: the character before the punctuation
goes down with it (the line above is a cell shorter, never longer). Text without such
punctuation is wrapped exactly as Rich does (the fast path: one scan of the text).
"""

from __future__ import annotations

from rich._wrap import divide_line
from rich.console import Console, ConsoleOptions, RenderResult
from rich.containers import Lines
from rich.markdown import Paragraph
from rich.text import Text

__all__ = ["KinsokuParagraph", "kinsoku_breaks"]

CLOSING = frozenset("，。、；：？！）」』】〉》〕］｝〗〙〛…‥・ー々ゝゞ”’％‰℃,.;:!?)]}")
"""Characters that may not start a line (full-width punctuation first; ASCII closers too,
which Rich already keeps with their word, so they only matter after CJK)."""
OPENING = frozenset("（「『【〈《〔［｛〖〘〚“‘")
"""Characters that may not end a line."""
_LOOK = frozenset(CLOSING | OPENING) - frozenset(",.;:!?)]}")
"""What makes a text need the check at all: CJK punctuation."""
MAX_SHIFT = 3
"""A break moves at most this many characters (a run of punctuation longer than that is
left as Rich wraps it)."""


def _bad(text: str, offset: int) -> bool:
    return text[offset] in CLOSING or text[offset - 1] in OPENING


def kinsoku_breaks(text: str, width: int, fold: bool = True) -> list[int]:
    """Where ``text`` wraps at ``width`` cells (offsets of the lines after the first), with
    no line starting with closing punctuation or ending with opening punctuation."""
    offsets = divide_line(text, width, fold=fold)
    if not _LOOK.intersection(text) or not any(_bad(text, o) for o in offsets):
        return offsets
    breaks: list[int] = []
    start = 0
    span = 4 * width + 16  # more than a line can hold: the first break in it is the real one
    while True:
        window = text[start : start + span]
        found = divide_line(window, width, fold=fold)
        if not found:
            if start + len(window) >= len(text):
                return breaks
            span *= 2  # a word longer than the window (no fold): look further
            continue
        offset = start + found[0]
        moved = offset
        while moved - 1 > start and offset - moved < MAX_SHIFT and _bad(text, moved):
            moved -= 1
        offset = moved if not _bad(text, moved) else offset
        breaks.append(offset)
        start = offset


def _wrap(console: Console, text: Text, width: int) -> Lines:
    """``text`` wrapped as :meth:`rich.text.Text.wrap` does, with :func:`kinsoku_breaks`."""
    lines = Lines()
    for line in text.split(allow_blank=True):
        pieces = line.divide(kinsoku_breaks(line.plain, width))
        for piece in pieces:
            piece.rstrip_end(width)
        pieces.justify(console, width, justify=text.justify or "left", overflow="fold")
        for piece in pieces:
            piece.truncate(width, overflow="fold")
        lines.extend(pieces)
    return lines


class KinsokuParagraph(Paragraph):
    """A Markdown paragraph wrapped with the CJK line-breaking rules."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self.text.justify = self.justify
        if not _LOOK.intersection(self.text.plain):
            yield self.text
            return
        yield from _wrap(console, self.text, options.max_width)
