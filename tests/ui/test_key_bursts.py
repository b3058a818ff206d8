"""Keys that arrive together (one terminal write: laggy SSH, a fast typist, a paste without
bracketed paste) are applied in the order typed, in the prompt and in every text box.

Each burst is the bytes a terminal sends, parsed by Textual's own terminal parser and posted to
the app all at once, as the driver does. Before the fix, keys handled by bindings (Backspace,
the arrows, Home/End, Ctrl+W) ran only after the characters typed behind them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from chattui.ui.screens.dialogs import TextInputScreen
from chattui.ui.screens.search import SearchScreen
from chattui.ui.widgets.prompt import PromptInput
from chattui.ui.widgets.safe_text import SafeInput
from chattui.ui.widgets.side_panel import FilterInput
from tests.apptools import burst
from tests.fakeserver import FakeOpenAI
from tests.ui.conftest import SIZE, MakeApp, chat_app, main_screen, prompt, send, wait_for
from tests.ui.test_settings import config_file

BS = "\x7f"
LEFT, HOME, END, CTRL_W = "\x1b[D", "\x1b[H", "\x1b[F", "\x17"
BOX_BURST = "docker" + BS * 6 + "代理"
"""Six fast Backspaces over a word, then Chinese: ``do`` was left before the fix."""


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("teh" + BS * 2 + "he cat", "the cat"),
        ("abc" + LEFT * 2 + "X", "aXbc"),
        ("word" + CTRL_W + "fix", "fix"),
        ("bc" + HOME + "a" + END + "d", "abcd"),
        ("line one" + HOME + CTRL_W + "x" + END + "!", "xline one!"),
    ],
)
async def test_a_burst_in_the_prompt_is_applied_in_order(
    make_app: MakeApp, data: str, expected: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        box = prompt(app)
        await wait_for(pilot, lambda: box.has_focus)
        await burst(pilot, data)
        await wait_for(pilot, lambda: box.text == expected)


async def test_enter_in_a_burst_sends_what_came_before_it(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        box = prompt(app)
        await wait_for(pilot, lambda: box.has_focus)
        await burst(pilot, "onx" + BS + "e\rtwo")
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 1)
        assert fake_server.chat_requests[0].last_user_text == "one"
        await wait_for(pilot, lambda: box.text == "two")


async def check_box(pilot: Pilot[None], box: Input) -> None:
    """The burst in ``box`` (focused) leaves exactly ``代理``."""
    await wait_for(pilot, lambda: box.has_focus)
    await burst(pilot, BOX_BURST)
    await wait_for(pilot, lambda: box.value == "代理")
    await burst(pilot, "b" + HOME + "a" + END + "c" + LEFT + BS)
    await wait_for(pilot, lambda: box.value == "a代理c")


async def focus_filter(pilot: Pilot[None]) -> FilterInput:
    """Focus the sidebar's filter box (what ``/`` in the list does)."""
    await wait_for(pilot, lambda: isinstance(pilot.app.focused, PromptInput))
    main_screen(chat_app(pilot)).action_focus_filter()
    await wait_for(pilot, lambda: isinstance(pilot.app.focused, FilterInput))
    assert isinstance(pilot.app.focused, FilterInput)
    return pilot.app.focused


async def test_a_burst_in_the_sidebar_filter_is_applied_in_order(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await focus_filter(pilot)
        await check_box(pilot, main_screen(app).panes.side.filter_box)


async def test_a_burst_in_the_find_bar_is_applied_in_order(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await pilot.press("f4")
        await check_box(pilot, main_screen(app).panes.find_bar.input)


async def test_a_burst_in_the_rename_dialog_is_applied_in_order(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        main_screen(app).conversations.rename()
        await wait_for(
            pilot, lambda: isinstance(app.screen, TextInputScreen) and app.screen.query("#value")
        )
        box = app.screen.query_one("#value", SafeInput)
        await burst(pilot, CTRL_W)  # the title it shows ("hello")
        await check_box(pilot, box)
        await burst(pilot, "\r")
        await wait_for(pilot, lambda: main_screen(app).conversation.title == "a代理c")


async def test_alt_letter_bound_in_config_runs_its_action_from_a_text_box(
    make_app: MakeApp, home: Path
) -> None:
    """Textual gives Alt+S the character "s": the prompt typed it, instead of running the
    action the user bound to it."""
    path = config_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\ntoggle_sidebar = ["f9", "alt+s"]\n', "utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        box = prompt(app)
        await wait_for(pilot, lambda: box.has_focus)
        await burst(pilot, "\x1bs")
        await wait_for(pilot, lambda: screen.panes.side.has_class("-hidden"))
        await burst(pilot, "\x1bx")  # not bound: typed, as before
        await wait_for(pilot, lambda: box.text == "x")
        await burst(pilot, "\x1bs")
        await wait_for(pilot, lambda: not screen.panes.side.has_class("-hidden"))

        filter_box = await focus_filter(pilot)
        await burst(pilot, "\x1bsab")
        await wait_for(pilot, lambda: filter_box.value == "ab")
        assert screen.panes.side.has_class("-hidden") and box.text == "x"


async def test_a_burst_in_the_search_box_is_applied_in_order(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await burst(pilot, "\x06")  # Ctrl+F
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await check_box(pilot, app.screen.query_one("#search-input", SafeInput))


async def test_a_burst_in_the_edit_box_is_applied_in_order(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    """Editing an earlier message (Alt+E on it): the prompt in edit mode takes bursts in
    order too, and Enter sends the edit as a new branch."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        await burst(pilot, "\x1b[1;3A")  # Alt+Up: the message cursor, on the reply
        await burst(pilot, "\x1b[A\x1be")  # Up to the user message, Alt+E edits it
        box = prompt(app)
        await wait_for(pilot, lambda: box.has_focus and box.text == "hello")
        await burst(pilot, CTRL_W + "teh" + BS * 2 + "he cat" + LEFT * 3 + "big " + "\r")
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 2)
        assert fake_server.chat_requests[-1].last_user_text == "the big cat"


@pytest.mark.parametrize("pane", ["chat log", "sidebar"])
async def test_alt_letter_bound_in_config_runs_from_the_panes_too(
    make_app: MakeApp, home: Path, pane: str
) -> None:
    path = config_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keys]\ntoggle_sidebar = ["f9", "alt+s"]\n', "utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        screen = main_screen(app)
        widget = screen.panes.log if pane == "chat log" else screen.panes.sidebar
        widget.focus()
        await wait_for(pilot, lambda: widget.has_focus)
        await burst(pilot, "\x1bs")
        await wait_for(pilot, lambda: screen.panes.side.has_class("-hidden"))
        assert prompt(app).text == ""
