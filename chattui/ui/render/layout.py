"""Where each entry of the chat pane sits: prefix-summed heights and line lookup.

:class:`EntryLayout` keeps the entries in order with the first line of each (``offsets``), maps a
line to its entry by bisection, and renders the entries that a window of lines needs. It knows
nothing about Textual widgets, so the scrolling logic can be tested on its own.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from time import perf_counter

from textual.strip import Strip

from chattui.ui.render.entries import Entry, RenderContext

__all__ = ["EntryLayout"]


class EntryLayout:
    """The entries of the pane in order, with the line offset of each."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._by_key: dict[str, Entry] = {}
        self.offsets: list[int] = [0]
        """``offsets[i]`` is the first line of entry ``i``; the last item is the total height."""

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    @property
    def height(self) -> int:
        """Total number of lines (estimates included), as of the last :meth:`update`."""
        return self.offsets[-1]

    def get(self, key: str) -> Entry | None:
        """The entry with ``key``, if any."""
        return self._by_key.get(key)

    def holds(self, entry: Entry) -> bool:
        """True if ``entry`` is still in the layout."""
        return self._by_key.get(entry.key) is entry

    def append(self, entry: Entry) -> None:
        """Add ``entry`` at the end (replacing an entry with the same key)."""
        old = self._by_key.pop(entry.key, None)
        if old is not None:
            self.entries.remove(old)
        self.entries.append(entry)
        self._by_key[entry.key] = entry

    def replace(self, old: Entry, new: Entry) -> None:
        """Put ``new`` where ``old`` is."""
        index = self.entries.index(old)
        del self._by_key[old.key]
        self.entries[index] = new
        self._by_key[new.key] = new
        new.index = index

    def remove(self, entry: Entry) -> None:
        """Take ``entry`` out."""
        self.entries.remove(entry)
        del self._by_key[entry.key]

    def clear(self) -> None:
        """Remove every entry."""
        self.entries.clear()
        self._by_key.clear()
        self.update()

    def update(self) -> None:
        """Recompute indexes and offsets from the current heights (O(entries))."""
        for index, entry in enumerate(self.entries):
            entry.index = index
        self.offsets = [0, *accumulate(entry.height for entry in self.entries)]

    def index_at(self, y: int) -> int:
        """Index of the entry holding line ``y`` (clamped to the existing entries)."""
        return min(max(bisect_right(self.offsets, y) - 1, 0), len(self.entries) - 1)

    def is_above(self, entry: Entry, y: float) -> bool:
        """True if all of ``entry`` lies above line ``y`` (as of the last update)."""
        return self.offsets[entry.index] + entry.height <= y

    def line(self, y: int, context: RenderContext | None) -> tuple[Strip | None, bool]:
        """Line ``y`` and whether its entry had to be rendered for it (its height changed)."""
        if not self.entries or not 0 <= y < self.offsets[-1]:
            return None, False
        index = bisect_right(self.offsets, y) - 1
        entry = self.entries[index]
        rendered = False
        if not entry.rendered and context is not None:
            entry.render(context)
            rendered = True
        return entry.line(y - self.offsets[index]), rendered

    def anchor(self, top: int) -> tuple[Entry, float] | None:
        """The entry at line ``top`` and how far into it (0..1) that line is."""
        if not self.entries:
            return None
        entry = self.entries[self.index_at(top)]
        return entry, (top - self.offsets[entry.index]) / max(entry.height, 1)

    def anchor_line(self, anchor: tuple[Entry, float]) -> int:
        """The line of an :meth:`anchor` after heights changed."""
        entry, fraction = anchor
        return self.offsets[entry.index] + int(fraction * entry.height)

    def render_bottom(self, context: RenderContext, height: int) -> bool:
        """Render the last entries until they fill ``height`` lines; True if any was rendered."""
        changed = False
        total = 0
        for entry in reversed(self.entries):
            if not entry.rendered:
                entry.render(context)
                changed = True
            total += entry.height
            if total > height + 1:
                break
        if changed:
            self.update()
        return changed

    def render_window(self, context: RenderContext, top: int, height: int) -> bool:
        """Render the entries in lines ``top`` .. ``top + height``; True if any was rendered.

        Entries at or below ``top`` change height, so line ``top`` keeps its entry.
        """
        changed = False
        for _attempt in range(4):  # Entries may shrink and bring more into the window.
            index = self.index_at(top) if self.entries else 0
            rendered = False
            while index < len(self.entries) and self.offsets[index] < top + height:
                entry = self.entries[index]
                if not entry.rendered:
                    entry.render(context)
                    rendered = True
                index += 1
            if not rendered:
                break
            changed = True
            self.update()
        return changed

    def pending(self) -> list[Entry]:
        """The entries not rendered yet, bottom first."""
        return [entry for entry in reversed(self.entries) if not entry.rendered]

    def pending_near(self, top: int, bottom: int) -> list[Entry]:
        """The entries not rendered yet that overlap lines ``top`` .. ``bottom``, bottom first."""
        if not self.entries:
            return []
        first = self.index_at(max(top, 0))
        last = self.index_at(max(bottom, 0))
        return [e for e in reversed(self.entries[first : last + 1]) if not e.rendered]

    def render_some(
        self, context: RenderContext, pending: list[Entry], top: float, deadline: float
    ) -> int:
        """Render entries from the front of ``pending`` (removing them) until ``deadline``.

        Returns:
            How many lines the entries above line ``top`` grew (negative: shrank), i.e. how far
            to scroll to keep the view on the same content. Call :meth:`update` afterwards.
        """
        shift = 0
        while pending and perf_counter() < deadline:
            entry = pending.pop(0)
            if entry.rendered or not self.holds(entry):
                continue
            height = entry.height
            above = self.is_above(entry, top)
            entry.render(context)
            if above:
                shift += entry.height - height
        return shift
