"""Building the real app for in-process tests, and reading what it shows."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from textual import events
from textual.pilot import Pilot

from chattui.core.services import Services
from chattui.ui.app import ChatApp
from chattui.ui.main.screen import MainScreen
from chattui.ui.widgets.chat_log import ChatLog
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.sidebar import ConversationList
from chattui.ui.widgets.status import StatusBar

TEST_KEY = "sk-test-ui-0000111122223333"


def app_environ(
    base_url: str, key: str | None = TEST_KEY, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environ the services read: CHATTUI_HOME (isolated), the base URL, the key.

    Automatic titles are off (their extra request would take replies queued for the next
    turn); tests of titles turn them on with ``env={"CHATTUI_AUTO_TITLE": "true"}``."""
    environ = {
        "CHATTUI_HOME": os.environ["CHATTUI_HOME"],
        "OPENAI_BASE_URL": base_url,
        "CHATTUI_AUTO_TITLE": "false",
    }
    if key is not None:
        environ["OPENAI_API_KEY"] = key
    environ.update(env or {})
    return environ


def build_app(
    base_url: str,
    key: str | None = TEST_KEY,
    env: Mapping[str, str] | None = None,
    *,
    connect: bool = True,
    warm_up: bool = False,
) -> ChatApp:
    """A ChatApp whose services read an explicit environ (client built up front if asked)."""
    services = Services.load(environ=app_environ(base_url, key, env))
    if connect:
        services.connect()
    return ChatApp(services, warm_up=warm_up)


def chat_app(pilot: Pilot[None]) -> ChatApp:
    """The app `pilot` drives, typed as the `ChatApp` it is (`pilot.app` is an `App[None]`)."""
    app = pilot.app
    assert isinstance(app, ChatApp)
    return app


def main_screen(app: ChatApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen


def chat_log(app: ChatApp) -> ChatLog:
    return main_screen(app).query_one("#log", ChatLog)


def prompt(app: ChatApp) -> PromptInput:
    return main_screen(app).query_one("#prompt", PromptInput)


def sidebar(app: ChatApp) -> ConversationList:
    return main_screen(app).query_one("#sidebar", ConversationList)


def status_text(app: ChatApp) -> str:
    """The left part of the status line."""
    return str(main_screen(app).query_one("#status", StatusBar).text)


def screen_text(app: ChatApp) -> str:
    """The plain text of every line on the screen (the top screen, as last composed)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def cursor_lines(app: ChatApp) -> list[str]:
    """The text drawn in the chat log's cursor style on each line of the screen (as last
    composed) that has some: the message cursor as the user sees it."""
    background = chat_log(app).get_component_rich_style("chat-log--cursor").bgcolor
    lines = (
        "".join(s.text for s in strip if s.style is not None and s.style.bgcolor == background)
        for strip in app.screen._compositor.render_strips()
    )
    return [line.strip() for line in lines if line]


def notices(app: ChatApp) -> list[str]:
    """The texts of the notifications in effect (shown unless dismissed or expired).

    Textual has no public read of them: the toasts that show them are not mounted under
    ``run_test`` (``notifications=False``), so this reads the app's own collection, here only.
    """
    return [str(notification.message) for notification in app._notifications]


async def wait_for(
    pilot: Pilot[None], predicate: Callable[[], object], timeout: float = 15.0
) -> None:
    """Let the app run until `predicate()` holds; fail after `timeout` seconds.

    Polls with `pilot.pause(0.02)`: a bare `pilot.pause()` waits for an idle CPU, which never
    comes while a reply streams (it then waits a full second each time).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await pilot.pause(0.02)


def palette_titles(app: ChatApp) -> list[str]:
    """The titles the command palette offers on the main screen (its own and the app's)."""
    from chattui.ui.main.commands import main_commands

    screen = main_screen(app)
    commands = [*main_commands(screen, app.keymap), *app.get_system_commands(app.screen)]
    return [command.title for command in commands]


def terminal_keys(data: str) -> list[events.Key]:
    """The keys a terminal's ``data`` stands for (as the driver reads them in one write),
    made by the terminal parser the driver uses."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    return [key for key in [*parser.feed(data), *parser.feed("")] if isinstance(key, events.Key)]


async def burst(pilot: Pilot[None], data: str) -> None:
    """Post every key of ``data`` to the app at once, as the driver does after one read."""
    for key in terminal_keys(data):
        key.set_sender(pilot.app)
        pilot.app.post_message(key)
    await pilot.pause()
