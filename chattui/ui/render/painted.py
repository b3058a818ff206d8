"""The chat pane's lines as painted, reused between paints while they still hold.

Following a stream scrolls the whole view every frame, so Textual asks for every visible line
again, though only the last ones changed. Cropping, decorating (cursor, selection offsets,
search matches) and styling each line again was a quarter of a frame; a painted line is now
reused when the same stored strip of the same entry is at the same place and nothing it depends
on (the pane's style and width, the theme, the cursor, the selection, the search highlight)
changed since it was painted.
"""

from __future__ import annotations

from textual.strip import Strip

from chattui.ui.render.entries import Entry

__all__ = ["PaintedLines"]


class PaintedLines:
    """Painted lines of one pane, keyed by line; valid during a paint only (see :meth:`begin`)."""

    def __init__(self) -> None:
        self._lines: dict[int, tuple[Strip, Entry, int, Strip]] = {}
        """Line of the pane -> (stored strip, its entry, line in the entry, strip as painted)."""
        self._depends_on: tuple[object, ...] = ()
        self._painting = False

    def begin(self, depends_on: tuple[object, ...], view_height: int) -> None:
        """A paint starts: forget every line if what lines depend on changed (or too many
        lines are kept, after long scrolls)."""
        if depends_on != self._depends_on or len(self._lines) > 4 * max(view_height, 64):
            self._depends_on = depends_on
            self._lines = {}
        self._painting = True

    def end(self) -> None:
        """The paint is over: lines asked for outside a paint are neither reused nor kept."""
        self._painting = False

    def get(self, line: int, stored: Strip, entry: Entry, local: int) -> Strip | None:
        """Line ``line`` as painted, if ``stored`` (line ``local`` of ``entry``) is still it."""
        painted = self._lines.get(line) if self._painting else None
        if painted and painted[0] is stored and painted[1] is entry and painted[2] == local:
            return painted[3]
        return None

    def put(self, line: int, stored: Strip, entry: Entry, local: int, painted: Strip) -> Strip:
        """Keep ``painted`` for line ``line``; return it."""
        if self._painting:
            self._lines[line] = (stored, entry, local, painted)
        return painted
