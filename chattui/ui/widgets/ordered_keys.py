"""Every key of a burst applied in the order it arrived, by the text widget that has focus.

Textual applies a key in two places. A printable key is typed by the focused widget's own
``_on_key`` at once; a key handled by a *binding* (Backspace, the arrows, Home/End, Ctrl+W, an
Input's Enter) bubbles up from the widget parent by parent, one message queue each, and only
the App runs the binding. When a terminal delivers several keys in one write (laggy SSH, a fast
typist, a paste without bracketed paste) the widget has typed the keys behind by then:
``teh⌫⌫he cat`` gave ``tehhe cat``. :class:`OrderedKeys` makes the focused widget run the
binding itself, inline, as the App would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.binding import BindingsMap
from textual.dom import DOMNode
from textual.widget import Widget

__all__ = ["OrderedKeys"]

MODIFIERS = frozenset({"ctrl", "alt", "meta", "super"})
"""Modifiers that make a key a command, never text (Textual gives Alt+S the character "s")."""

if TYPE_CHECKING:
    # A Widget for mypy; at run time a plain mixin, so it adds no CSS type name or DOM class.
    _Base = Widget
else:
    _Base = object


class OrderedKeys(_Base):
    """Mixin for a focusable text widget (listed before the Textual class): bindings of the
    keys it receives run in its own ``_on_key``, in order with the keys it types."""

    async def _on_key(self, event: events.Key) -> None:
        # Alt+S, if bound anywhere in the chain, runs its action instead of typing "s".
        if _has_modifier(event.key) and await self._run_binding(event):
            return
        await super()._on_key(event)
        if not _stopped(event):
            await self._run_binding(event)

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """Keys with a modifier are left to bindings (the screen's binding chain keeps them)."""
        return not _has_modifier(key) and super().check_consume_key(key, character)

    async def _run_binding(self, event: events.Key) -> bool:
        """Run the first binding of ``event.key`` whose action runs, as ``App._check_bindings``
        does (the widget's own bindings first, up to the screen, or the app); stop the event
        if one ran."""
        if not self.screen.is_active:
            return False  # a dialog opened meanwhile: no actions behind it (left to bubble)
        for namespace, bindings in _binding_chain(self):
            for binding in bindings.key_to_bindings.get(event.key, ()):
                # Priority bindings ran in the App before it forwarded the key here.
                if not binding.priority and await self.app.run_action(binding.action, namespace):
                    event.stop()
                    event.prevent_default()
                    return True
        return False


def _has_modifier(key: str) -> bool:
    return not MODIFIERS.isdisjoint(key.split("+")[:-1])


# Textual internals (checked against Textual 8.2), used only here: the chain of bindings
# App._check_bindings resolves a key with, and whether a handler stopped the event.


def _binding_chain(widget: Widget) -> list[tuple[DOMNode, BindingsMap]]:
    return widget.screen._modal_binding_chain


def _stopped(event: events.Key) -> bool:
    return event._stop_propagation
