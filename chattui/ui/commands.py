"""The command palette's commands: what the app and the main screen can do, in the user's
language (imported when the palette first opens, not before the first frame)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from chattui.i18n import _
from chattui.ui.screens.library import library_commands

if TYPE_CHECKING:
    from chattui.ui.app import ChatApp
    from chattui.ui.screens.main import MainScreen

__all__ = ["app_commands"]


def _pick_profile(main: MainScreen) -> None:
    from chattui.ui.profiles import pick_profile

    pick_profile(main)


def app_commands(app: ChatApp) -> Iterable[SystemCommand]:
    """Every command of the palette: the main screen's (when it is there), then the app's."""
    main = app.main_screen
    if main is not None:
        conversation: list[tuple[str, str, Callable[[], object]]] = [
            (_("New conversation"), _("Start a new chat"), main.action_new_conversation),
            (
                _("New conversation with a role…"),
                _("Pick a system prompt from the role library; add or edit your own"),
                app.action_roles,
            ),
            (
                _("Export…"),
                _("This conversation or all of them, as Markdown, JSON or HTML"),
                app.action_export,
            ),
            (
                _("Import…"),
                _("Conversations from a chattui JSON export or a ChatGPT data export"),
                app.action_import,
            ),
            (_("Stop"), _("Stop the reply that is streaming"), main.action_stop),
            (_("Retry"), _("Ask again after an error or a stop"), main.action_retry),
            (
                _("Continue"),
                _("Continue a stopped or cut-short reply where it ended"),
                main.action_continue_reply,
            ),
            (
                _("Rename conversation"),
                _("Rename the conversation on screen"),
                main.rename_conversation,
            ),
            (
                _("Delete conversation"),
                _("Delete the conversation on screen"),
                main.delete_conversation,
            ),
        ]
        screen: list[tuple[str, str, Callable[[], object]]] = [
            (
                _("Endpoint profile"),
                _("Choose the endpoint this conversation talks to"),
                partial(_pick_profile, main),
            ),
            (
                _("System prompt"),
                _("Show the whole system prompt, or only its first words"),
                main.action_toggle_system,
            ),
            (
                _("Search conversations"),
                _("Search the text of every conversation (Ctrl+F)"),
                app.action_search,
            ),
            (
                _("Find in conversation"),
                _("Find text in the conversation on screen (F4)"),
                main.action_find,
            ),
            (
                _("Toggle sidebar"),
                _("Show or hide the conversation list"),
                main.action_toggle_sidebar,
            ),
        ]
        yield from (SystemCommand(*command) for command in conversation)
        yield from main.message_commands()
        yield from (SystemCommand(*command) for command in screen)
        yield from library_commands(main)
    for command in (
        (_("Settings"), _("API key, endpoint, proxy, model..."), app.action_settings),
        (_("Help"), _("Every key"), app.action_help),
        (_("Theme"), _("Change the theme"), app.action_change_theme),
        (_("Quit"), _("Quit chattui"), app.action_quit),
    ):
        yield SystemCommand(*command)
