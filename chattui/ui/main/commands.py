"""The main screen's entries in the command palette: its rows of the table of actions (with
their keys), and one entry per code block of the reply under the cursor.

Imported when the palette first opens (the screen names it lazily), not before the first frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, Protocol, runtime_checkable

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from chattui.i18n import _
from chattui.ui.actions import Scope
from chattui.ui.actions.keymap import palette_entries

__all__ = ["MainCommands", "main_commands"]


@runtime_checkable
class CodeBlocks(Protocol):
    """What the palette asks the main screen: the code blocks it can copy."""

    def code_blocks(self) -> list[tuple[str, str]]: ...


_MAIN_SCOPES = frozenset({Scope.CHAT, Scope.PROMPT, Scope.LOG, Scope.SIDEBAR})


def main_commands(screen: Screen[Any], keymap: Mapping[str, str]) -> list[SystemCommand]:
    """The palette's commands for the main screen ``screen`` (the app adds its own)."""
    commands = [
        SystemCommand(title, help_text, partial(screen.run_action, action))
        for title, help_text, action in palette_entries(_MAIN_SCOPES, keymap)
    ]
    blocks = screen.code_blocks() if isinstance(screen, CodeBlocks) else []
    for n, (language, _code) in enumerate(blocks[:9], start=1):
        title = _("Copy code block {n}", n=n) + (f" ({language})" if language else "")
        run = partial(screen.run_action, f"copy_code({n})")
        commands.append(SystemCommand(title, _("The code only, without the fences"), run))
    return commands


class MainCommands(Provider):
    """The palette's provider for the main screen (see :func:`main_commands`)."""

    def _commands(self) -> list[SystemCommand]:
        return main_commands(self.screen, getattr(self.app, "keymap", {}))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            if (match := matcher.match(command.title)) > 0:
                yield Hit(
                    match, matcher.highlight(command.title), command.callback, help=command.help
                )
