"""The thin App: themes, services, global keys, commands, and the first screen."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.screen import Screen

from chattui.core.config import Settings
from chattui.core.models import Conversation
from chattui.core.problems import Problem
from chattui.core.services import Services
from chattui.i18n import _
from chattui.ui.actions import Scope, bindings
from chattui.ui.main.screen import MainScreen
from chattui.ui.main.start import StartAt
from chattui.ui.messages import CopyRequested, SettingsRequested
from chattui.ui.render.problems import error_text, problem_text
from chattui.ui.theming import register_themes

if TYPE_CHECKING:
    from chattui.core.roles import RoleSpec

__all__ = ["ChatApp"]

SAVE_WAIT = 10.0
"""Longest wait at exit for the saves still queued (a slow disk, another instance's lock)."""


class ChatApp(App[None]):
    """chattui's application object."""

    TITLE = "chattui"
    CSS_PATH = [MainScreen.CSS_PATH]
    """The main screen's CSS, read with the app's: pushing a screen with CSS not read yet
    parses the whole stylesheet again and restyles every widget (~10 ms at start-up)."""
    BINDINGS = bindings(Scope.APP)

    def __init__(
        self, services: Services, warm_up: bool = True, start: StartAt | None = None
    ) -> None:
        super().__init__()
        self.services = services
        services.defer_key_commands()  # from now on key commands run in workers only
        self._start = start
        self._warm_up_enabled = warm_up
        self.warmed_up = asyncio.Event()
        """Set once the client and the tokenizer are ready (tests and benchmarks await it)."""
        # Themes are set before the first frame: switching later would style and draw the
        # whole screen twice.
        self._theme_problems = register_themes(self, services.paths.themes_dir)
        theme = services.settings.theme
        if theme in self.available_themes:
            self._set_first_theme(theme)
        else:
            self._theme_problems.append(Problem("theme.unknown", {"name": repr(theme)}))
        self.keymap: dict[str, str] = {}
        """The user's rebound keys (binding id -> keys), as applied."""
        self._key_problems: list[Problem] = []
        if services.settings.keys:  # checking walks every binding: only for a [keys] table
            from chattui.ui.actions.keymap import check_keymap

            self.keymap, self._key_problems = check_keymap(
                services.settings.keys, services.paths.config_file
            )
        self.set_keymap(self.keymap)

    def _set_first_theme(self, name: str) -> None:
        """Use theme ``name`` from the start: what ``App._watch_theme`` does, except that it
        schedules a full re-parse of the stylesheet (~10 ms before the first frame), needless
        before anything was parsed."""
        self.set_reactive(ChatApp.theme, name)
        self.stylesheet.set_variables(self.get_css_variables())
        dark = self.current_theme.dark
        classes = {cls: False for cls in self.classes if cls.startswith("-theme-")}
        classes.update({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark})
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)

    def get_default_screen(self) -> Screen[None]:
        """The main screen is the first and bottom screen: one screen composed, styled and
        mounted before the first frame instead of Textual's empty default and then this."""
        return MainScreen(self.services)

    def on_mount(self) -> None:
        for problem in self._theme_problems + self._key_problems:
            self.notify(problem_text(problem), severity="warning", markup=False, timeout=10)
        main = self.main_screen
        assert main is not None
        if self._start is not None:
            self.call_after_refresh(main.start_at, self._start)
        for warning in self.services.warnings:
            self.notify(problem_text(warning), severity="warning", timeout=15, markup=False)
        if self.services.fatal is not None:
            fatal = problem_text(self.services.fatal)
            self.notify(fatal, severity="error", timeout=30, markup=False)
        if not self.services.has_key and not self.services.key_pending:
            from chattui.ui.screens.welcome import WelcomeScreen

            profile_help = self.services.key_help()
            words = problem_text(profile_help) if profile_help else ""
            self.push_screen(WelcomeScreen(words), self._welcomed)

    def on_ready(self) -> None:
        """The first frame is being written: now the work it did not need (threads that
        import ``openai`` or scan the library would slow it down)."""
        if not gc.isenabled():  # the command line turned it off for the start-up
            gc.freeze()  # what start-up built lives as long as the app: never scan it again
            gc.enable()
        main = self.main_screen
        if main is not None:
            main.first_frame()
        self.call_after_refresh(self._start_session)
        self.call_after_refresh(self.services.start_search)

    def _start_session(self) -> None:
        """Build the session and the planner (~20 ms of imports the first frame did not
        need), then warm up in a thread. The budget is shown at once if it needs no
        tokenizer (far from the window's limit it is estimated): the status line then does not
        change again when the warm-up ends."""
        main = self.main_screen
        if self.services.start_session() and main is not None:
            main.budget.enable()
        if self._warm_up_enabled:
            self.warm_up()

    def on_unmount(self) -> None:
        # After the screens closed (their pending deletes queued): a reply still streaming is
        # saved as stopped, and every queued save reaches the disk before the app ends.
        if not self.services.close(timeout=SAVE_WAIT):
            self.log.error("saves still queued at exit")
        self.services.close_search(timeout=2.0)

    @on(SettingsRequested)
    def _settings_requested(self) -> None:
        self.action_settings()

    @on(CopyRequested)
    def _copy_requested(self, event: CopyRequested) -> None:
        self.copy_text(event.text, event.what)

    @work(thread=True, exclusive=True, group="warm-up", exit_on_error=False)
    def warm_up(self) -> None:
        """Import the HTTP client and build it after the first frame, so that the first send
        does not pay for importing ``openai``."""
        self.services.warm_up()
        self.call_from_thread(self.connect)
        # What the first reply's rendering imports (~60 modules, ~40 ms): Rich's Markdown and
        # syntax highlighting, Pygments' lexer table and the theme's code style.
        from pygments.lexers import get_lexer_by_name
        from pygments.styles import get_style_by_name

        import chattui.ui.render.markdown  # noqa: F401
        from chattui.ui.render.palette import code_theme_of

        get_lexer_by_name("python")
        with contextlib.suppress(Exception):  # not a Pygments style: Rich's fallback, no import
            get_style_by_name(code_theme_of(self.current_theme))

    def connect(self) -> None:
        """(Re)build the client from the settings, and start counting tokens."""
        self.services.connect()
        main = self.main_screen
        if main is not None:
            main.budget.enable()
        self.warmed_up.set()

    def _welcomed(self, open_settings: bool | None) -> None:
        if open_settings:
            self.action_settings()

    @property
    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def save_theme(self, name: str) -> None:
        """Use theme ``name`` and keep it in config.toml (the picker, the palette and Settings
        all persist a theme through here)."""
        if name not in self.available_themes:
            return
        self.theme = name
        if self.services.settings.theme == name:
            return
        try:
            self.services.remember(theme=name)
        except OSError as error:
            self.notify(
                _("Could not save: {error}", error=error_text(error)),
                severity="error",
                markup=False,
            )

    def action_change_theme(self) -> None:
        """The theme picker (replaces Textual's): live preview, Esc restores, Enter saves."""
        from chattui.ui.theming import pick_theme

        pick_theme(self, self.save_theme)

    def action_help(self) -> None:
        from chattui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_search(self) -> None:
        """Ctrl+F: search every conversation (from the main screen)."""
        main = self.main_screen
        if main is None or self.screen is not main or self.services.search is None:
            return
        from chattui.ui.screens.search import SearchScreen

        self.push_screen(SearchScreen(self.services.search), main.open_search_hit)

    def action_settings(self) -> None:
        from chattui.ui.screens.settings import SettingsScreen

        if isinstance(self.screen, SettingsScreen):
            return
        before = self.services.settings
        self.push_screen(
            SettingsScreen(self.services), lambda saved: self._settings_closed(saved, before)
        )

    def _settings_closed(self, saved: bool | None, before: Settings) -> None:
        if not saved:
            return
        settings = self.services.settings
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        main = self.main_screen
        if main is not None:
            main.settings_saved(before)
        self.notify(_("Settings saved."))

    def action_roles(self) -> None:
        """Pick a role and start a new conversation with its system prompt."""
        from chattui.ui.screens.roles import RolePickerScreen

        if not isinstance(self.screen, RolePickerScreen):
            self.push_screen(RolePickerScreen(self.services.paths.roles_dir), self._role_picked)

    def _role_picked(self, role: RoleSpec | None) -> None:
        main = self.main_screen
        if role is None or main is None:
            return
        params = {} if role.temperature is None else {"temperature": role.temperature}
        conversation = Conversation(system_prompt=role.system_prompt, model=role.model)
        conversation.params.update(params)
        main.show_conversation(conversation)
        main.prompt.focus()

    def action_export(self) -> None:
        from chattui.ui.screens.transfer import start_export

        main = self.main_screen
        current = main.conversation if main is not None and main.conversation.messages else None
        start_export(self, current)

    def action_import(self) -> None:
        from chattui.ui.screens.transfer import start_import

        start_import(self, self._imported)

    def _imported(self) -> None:
        """Conversations were imported: list them."""
        main = self.main_screen
        if main is not None:
            main.conversations.refresh_list()

    def action_command_palette(self) -> None:
        """The command palette, its prompt in the user's language."""
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            placeholder = _("Search for commands…")
            self.push_screen(CommandPalette(id="--command-palette", placeholder=placeholder))

    def search_themes(self) -> None:
        """The theme picker, its prompt in the user's language."""
        from textual.command import CommandPalette
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette([ThemeProvider], placeholder=_("Search for themes…")))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The app's rows of the table of actions (the main screen adds its own)."""
        from functools import partial

        from chattui.ui.actions.keymap import palette_entries  # when the palette opens

        for title, help_text, action in palette_entries(frozenset({Scope.APP}), self.keymap):
            yield SystemCommand(title, help_text, partial(self.run_action, action))

    async def on_event(self, event: events.Event) -> None:
        """Typed text goes to the prompt (see :meth:`MainScreen.route_key`): decided here, as
        each key arrives, before Textual sends it on to the focused widget."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            screen = self.screen
            if isinstance(screen, MainScreen):
                screen.route_key(event)
        await super().on_event(event)

    def copy_to_clipboard(self, text: str) -> None:
        """Every copy (the selection with Ctrl+C, text fields) goes both ways, with a notice."""
        if text:
            self.copy_text(text, _("the selection"))

    def copy_text(self, text: str, what: str) -> None:
        """Copy ``text`` through the terminal (OSC 52) and the platform's clipboard tool, then
        say what was copied and how ("Copied code block 2: 42 lines (xclip + terminal)")."""
        super().copy_to_clipboard(text)
        self._copy_with_tool(text, what)

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _copy_with_tool(self, text: str, what: str) -> None:
        from chattui.core.clipboard import copy_with_tool
        from chattui.ui.clipboard import copied_notice

        tool = copy_with_tool(text, self.services.environ)
        self.call_from_thread(self.notify, copied_notice(what, text, tool), markup=False)

    def _fatal_error(self) -> None:
        """Show the crash without local variables: they could hold the key or a proxy password."""
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()
