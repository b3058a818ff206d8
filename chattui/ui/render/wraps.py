"""Which drawn lines are soft wraps of the line above, so a copied selection joins them again.

Rich wraps a paragraph into lines of the pane's width and says nothing of where it broke, so
the break is found again from the lines as Rich's wrapper makes them (``rich._wrap``): a line
continues the one above when it starts at the left edge of the above line's text (after a list
marker or quote bar) and its first word would not have fitted at the end of the line above.
A line that breaks where the text had a newline leaves room for that word (or is rarely full:
then it is taken for a wrap). Tables are never joined; code blocks are not marked at all.

What joins the two lines is a space, or nothing where the wrapper cut one long word or a run
of Chinese text (no space was there). Chinese line breaking (``kinsoku.py``) only moves a break
a few characters earlier, which these rules allow for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len, get_character_cell_size

__all__ = ["wrap_joints"]

_PREFIX = re.compile(r"[ ▌]*")
"""Indentation and quote bars before a line's text."""
_MARKER = re.compile(r"(?:[•◦▪‣*+-]|\d+[.)]) +")
"""A list item's marker at the start of its text."""
_TABLE = frozenset("│┃║┆┊╎─━═")


def _wide(char: str) -> bool:
    return get_character_cell_size(char) > 1


def _text_start(line: str) -> int:
    """Where the text of ``line`` starts: after indentation, quote bars and a list marker."""
    start = _PREFIX.match(line)
    offset = start.end() if start else 0
    marker = _MARKER.match(line, offset)
    return marker.end() if marker else offset


def wrap_joints(lines: Sequence[str], right: int) -> list[str | None]:
    """For each of ``lines`` (one block's, as drawn), what joins it to the line above if it
    is a soft wrap of it (" " or ""), else None. ``right`` is the cell where the wrapped text
    ends (the width, less any right padding)."""
    joints: list[str | None] = [None] * len(lines)
    for index in range(1, len(lines)):
        above, line = lines[index - 1], lines[index]
        head = above.rstrip()
        if not head.strip() or not line.strip() or _TABLE.intersection(above + line):
            continue
        prefix = _PREFIX.match(line)
        start = prefix.end() if prefix else 0
        if _MARKER.match(line, start) or start != _text_start(above):
            continue  # a new list item, or another indentation: not the same paragraph
        word = line[start:].split(" ", 1)[0]
        used = cell_len(head)
        edge = right - 2 * line[:start].count("▌")  # Rich narrows a quote by 4, draws 2
        if used + 1 + cell_len(word) <= edge:
            continue  # the word would have fitted: the text broke here
        full = used >= edge - (1 if _wide(word[0]) else 0)
        # Chinese is written without spaces, and its lines may end a few cells short of the
        # edge (kinsoku moves a break before closing punctuation): no space between two
        # wide characters. A full line of one word was a word too long for it: cut, no space.
        folded = (_wide(head[-1]) and _wide(word[0])) or (
            full and " " not in head[_text_start(above) :]
        )
        joints[index] = "" if folded else " "
    return joints
