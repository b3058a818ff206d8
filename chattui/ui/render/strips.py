"""Strips that cost less memory while they wait in the chat pane.

A Textual :class:`~textual.strip.Strip` makes seven small caches (crop, style, divide, offsets...)
when it is created, ~0.9 kB per line, and each cache then keeps the strips derived from it: the
chat pane's ``render_line`` crops, styles and offsets a stored line, so every line ever shown
kept two or three more strips (with their own caches) for as long as the conversation was open.
The pane keeps every rendered line (a 20k-token reply is ~5,000 lines) but draws only the few on
screen, so :class:`LeanStrip` has no caches: a derived strip is made again when the line is drawn
again (a few microseconds per visible line; Textual caches the pane's drawn lines itself). It is
a ``Strip`` in every other way; the strips derived from it are ordinary ones.
"""

from __future__ import annotations

from typing import Final

from rich.segment import Segment
from textual.strip import Strip

__all__ = ["LeanStrip", "WrappedStrip"]

_CACHES: Final = frozenset(
    {
        "_divide_cache",
        "_crop_cache",
        "_style_cache",
        "_filter_cache",
        "_line_length_cache",
        "_crop_extend_cache",
        "_offsets_cache",
    }
)
"""The caches ``Strip.__init__`` makes (Textual 8); strip.py only calls ``get`` and sets items."""


class _NoCache:
    """Stands for a strip's cache: remembers nothing."""

    __slots__ = ()

    def get(self, key: object, default: object = None) -> object:
        return default

    def __setitem__(self, key: object, value: object) -> None:
        pass


_NO_CACHE: Final = _NoCache()


class LeanStrip(Strip):
    """A :class:`Strip` without caches."""

    __slots__ = ()

    def __init__(self, segments: list[Segment], cell_length: int) -> None:
        # Strip.__init__ is not called: it would make the caches. The same fields otherwise.
        self._segments = segments
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    def __getattr__(self, name: str) -> object:
        """Called only for a slot that is not set: the caches."""
        if name in _CACHES:
            return _NO_CACHE
        raise AttributeError(name)


class WrappedStrip(LeanStrip):
    """A line that continues the line above it: Rich wrapped the text there (a soft wrap), so
    a copied selection joins the two with :attr:`joint` instead of a line break."""

    __slots__ = ("joint",)

    def __init__(self, segments: list[Segment], cell_length: int, joint: str) -> None:
        super().__init__(segments, cell_length)
        self.joint = joint
        """What stood between the two lines in the text: " ", or "" (a word or Chinese text
        cut where the line was full)."""
