"""Rebindable keys: [keys] in config.toml rebinds actions by binding id; unknown actions, bad key
names and conflicts are reported with the file and line; the help screen and the footer show the
keys in effect."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

from chattui.ui.actions import UNBOUND, Scope, action_table, key_list
from chattui.ui.screens.help import HelpScreen
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    main_screen,
    notices,
    prompt,
    screen_text,
    send,
    settle,
    type_prompt,
    wait_for,
)
from tests.ui.test_settings import config_file

KEYS = """\
model = "gpt-4o-mini"

[keys]
new_conversation = "ctrl+t"
toggle_sidebar = ["f9", "alt+s"]
focus_log = "f6"
send = "ctrl+o"
frobnicate = "ctrl+x"
retry = "ctrl+l"
stop = "ctrl+nope"
"""


def write_keys(home: Path, text: str = KEYS) -> Path:
    path = config_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def _chattui_classes() -> list[type[DOMNode]]:
    def walk(root: type[DOMNode]) -> list[type[DOMNode]]:
        found = []
        for cls in root.__subclasses__():
            found += [cls, *walk(cls)]
        return found

    return [cls for cls in walk(DOMNode) if cls.__module__.startswith("chattui.")]


def test_every_binding_comes_from_the_table_of_actions() -> None:
    import chattui.ui.app  # noqa: F401 - imports every screen and widget
    from chattui.ui.screens import (  # noqa: F401 - and the dialogs imported lazily
        details,
        dialogs,
        help,
        message_menu,
        picker,
        roles,
        search,
        settings,
        transfer,
        welcome,
    )

    rows = {row.id: row for row in action_table()}
    assert len(rows) == len(action_table()), "an id is used twice"
    declared = 0
    for cls in _chattui_classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding) and binding.id in rows, (cls, binding)
            row = rows[binding.id]
            assert binding.key == (row.keys or UNBOUND + row.id)
            assert binding.action == row.action and binding.tooltip == row.help
            declared += 1
    assert declared >= len(rows) - 1  # every row is bound somewhere (copy_code_N included)
    for row in rows.values():
        assert row.title and row.help, row.id


def test_a_typist_cannot_press_a_paid_or_destructive_key() -> None:
    """Actions that cost money or change data take a modifier; in the panes that do not
    take text, no action sits on a key that types a character."""
    for row in action_table():
        for key in key_list(row.keys):
            *modifiers, base = key.split("+")
            types_text = len(base) == 1 or base == "space"
            if row.guarded:
                assert {"ctrl", "alt", "meta", "super"} & set(modifiers), row.id
            if row.scope in (Scope.LOG, Scope.SIDEBAR, Scope.CHAT, Scope.APP):
                assert modifiers or not types_text, (row.id, key)


async def test_rebound_keys_work_and_problems_name_the_line(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    path = write_keys(home)
    fake_server.default_reply = Reply(text="pong")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        problems = notices(app)
        assert any(f"{path}:8: unknown action 'frobnicate'" in p for p in problems), problems
        assert any("README" in p for p in problems if "frobnicate" in p)
        assert any(
            f"{path}:9: retry: ctrl+l is already used by focus_log" in p for p in problems
        ), problems
        assert any(f"{path}:10: stop: ctrl+nope is not a key name" in p for p in problems)
        # F6 selects a line in the prompt (Textual's TextArea): taken, so it is refused too.
        assert any(f"{path}:6: focus_log: f6 is already used by select_line" in p for p in problems)

        # send = ctrl+o: Enter is a new line now, Ctrl+O sends.
        await type_prompt(pilot, "ping")
        await pilot.press("enter")
        assert prompt(app).text == "ping\n" and fake_server.chat_requests == []
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert fake_server.latest_request.last_user_text == "ping\n"

        # The conflicting line was ignored: Ctrl+R still retries, Ctrl+L still focuses.
        await pilot.press("ctrl+l")
        assert main_screen(app).panes.log.has_focus

        await pilot.press("ctrl+t")
        assert main_screen(app).conversation.messages == []
        await wait_for(pilot, lambda: "^t New" in screen_text(app))  # the footer's new key

        shown = not main_screen(app).panes.side.has_class("-hidden")
        await pilot.press("ctrl+b")  # the old key does nothing now
        assert (not main_screen(app).panes.side.has_class("-hidden")) == shown
        await pilot.press("f9")
        assert (not main_screen(app).panes.side.has_class("-hidden")) != shown
        await pilot.press("alt+s")
        assert (not main_screen(app).panes.side.has_class("-hidden")) == shown

        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        line = next(row for row in text.splitlines() if "New conversation" in row)
        assert "Ctrl+T" in line and "Ctrl+N" not in line
        line = next(row for row in text.splitlines() if "Show or hide the sidebar" in row)
        assert "F9 / Alt+S" in line
        line = next(row for row in text.splitlines() if "Send the prompt" in row)
        assert "Ctrl+O" in line


async def test_two_lines_giving_one_key_keep_the_first_and_name_the_second(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    path = write_keys(home, '[keys]\nnew_conversation = "f9"\ntoggle_sidebar = "f9"\n')
    fake_server.default_reply = Reply(text="pong")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        problems = notices(app)
        words = f"{path}:3: toggle_sidebar: f9 is already used by new_conversation"
        assert any(words in p for p in problems), problems
        assert not any("new_conversation:" in p for p in problems), problems
        await send(pilot, "ping")
        shown = not main_screen(app).panes.side.has_class("-hidden")
        await pilot.press("f9")  # the first line's: a new conversation
        assert main_screen(app).conversation.messages == []
        assert (not main_screen(app).panes.side.has_class("-hidden")) == shown
        await pilot.press("ctrl+b")  # the second line was ignored: its default stays
        assert (not main_screen(app).panes.side.has_class("-hidden")) != shown


def test_readme_lists_every_binding_id() -> None:
    import chattui.ui.app  # noqa: F401 - imports every screen and widget

    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## Rebinding keys\n", 1)[1].split("\n## ", 1)[0]
    missing = [
        row.id
        for row in action_table()
        if f"`{row.id}`" not in section and not row.id.startswith("copy_code_")
    ]
    assert missing == []
