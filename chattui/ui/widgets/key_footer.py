"""The footer: the keys that matter most where the focus is, in one line, whole labels only.

It shows the active bindings that the table of actions ranks for the footer
(:attr:`~chattui.ui.actions.Action.footer`), most important first (Esc, Enter, F1, Tab...),
and leaves out what does not fit: at 80 columns a label is never cut in half. A click on a
key runs it. One widget drawing one line: cheaper than Textual's footer (a widget per key).
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

from chattui.ui.actions import action_table

__all__ = ["KeyFooter"]

GAP = 2
"""Columns between two keys."""
ESSENTIAL = 4
"""Footer ranks shown before all others (Esc, Enter, F1, Tab)."""


class FooterItem(NamedTuple):
    """One key shown: where it runs, its binding, and the columns it takes."""

    node: DOMNode
    binding: Binding
    key: str
    start: int
    end: int


class KeyFooter(Widget):
    """One line of keys at the bottom of a screen."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom; height: 1; background: $footer-background; color: $footer-foreground;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    KeyFooter > .key-footer--description { color: $footer-description-foreground; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-footer--key", "key-footer--description"}

    def __init__(self) -> None:
        super().__init__()
        self._items: list[FooterItem] = []
        self._drawn: list[tuple[DOMNode, Binding, str]] | None = None
        """What :meth:`shown` returned when the footer was last drawn."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # Bindings are "updated" on every focus change and more, mostly without a change
        # the footer shows: drawing the same line again only costs a write to the terminal.
        if self.is_attached and screen is self.screen and self.shown() != self._drawn:
            self.refresh()

    def shown(self) -> list[tuple[DOMNode, Binding, str]]:
        """(namespace, binding, key as displayed) of every key the footer would show, in
        order (before cutting to the width): the essentials (ranks 1 to 4: Esc, Enter, F1,
        Tab), then the focused widget's own keys, then the rest, each by rank."""
        ranks = {row.id: row.footer for row in action_table() if row.footer}
        focused = self.screen.focused
        found: dict[str, tuple[tuple[int, int], DOMNode, Binding, str]] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            rank = ranks.get(binding.id or "")
            if not rank or not active.enabled or binding.id in found:
                continue
            group = 0 if rank <= ESSENTIAL else 1 if active.node is focused else 2
            shown = binding.key_display or self.app.get_key_display(binding.with_key(key))
            found[binding.id or ""] = ((group, rank), active.node, binding, shown)
        items = sorted(found.values(), key=lambda item: item[0])
        return [(node, binding, key) for _r, node, binding, key in items]

    def render(self) -> Content:
        key_style = self.get_visual_style("key-footer--key")
        text_style = self.get_visual_style("key-footer--description")
        width = self.size.width
        parts: list[Content] = []
        items: list[FooterItem] = []
        x = 1
        self._drawn = self.shown()
        for node, binding, key in self._drawn:
            label = Content.assemble(
                Content(key).stylize(key_style), " ", Content(binding.description)
            ).stylize(text_style)
            if x + label.cell_length > width:
                break  # the rest would be cut: leave them out, whole
            parts.append(label)
            items.append(FooterItem(node, binding, key, x, x + label.cell_length))
            x += label.cell_length + GAP
        self._items = items
        return Content(" ") + Content(" " * GAP).join(parts)

    async def _on_click(self, event: events.Click) -> None:
        for item in self._items:
            if item.start <= event.x < item.end:
                event.stop()
                await self.app.run_action(item.binding.action, item.node)
                return
