"""The main screen's entries in the command palette: its rows of the table of actions (with
their keys), and one entry per code block of the reply under the cursor.

Imported when the palette first opens (the screen names it lazily), not before the first frame.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol, runtime_checkable

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits, Provider

from chattui.i18n import _
from chattui.ui.actions import Scope
from chattui.ui.actions.keymap import palette_entries

__all__ = ["MainCommands"]


@runtime_checkable
class CodeBlocks(Protocol):
    """What the palette asks the main screen: the code blocks it can copy."""

    def code_blocks(self) -> list[tuple[str, str]]: ...


_MAIN_SCOPES = frozenset({Scope.CHAT, Scope.PROMPT, Scope.LOG, Scope.SIDEBAR})


class MainCommands(Provider):
    """The palette's commands for the main screen (the app adds its own)."""

    def _commands(self) -> list[SystemCommand]:
        screen = self.screen
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        commands = [
            SystemCommand(title, help_text, partial(screen.run_action, action))
            for title, help_text, action in palette_entries(_MAIN_SCOPES, keymap)
        ]
        blocks = screen.code_blocks() if isinstance(screen, CodeBlocks) else []
        for n, (language, _code) in enumerate(blocks[:9], start=1):
            title = _("Copy code block {n}", n=n) + (f" ({language})" if language else "")
            help_text = _("The code only, without the fences")
            commands.append(
                SystemCommand(title, help_text, partial(screen.run_action, f"copy_code({n})"))
            )
        return commands

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
