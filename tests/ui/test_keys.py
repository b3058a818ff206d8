"""Rebindable keys: [keys] in config.toml rebinds actions by binding id; unknown actions, bad key
names and conflicts are reported with the file and line; the help screen and the footer show the
keys in effect."""

from __future__ import annotations

from pathlib import Path

from chattui.ui.keys import bound_keys
from chattui.ui.screens.help import HelpScreen
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    main_screen,
    notices,
    prompt,
    screen_text,
    settle,
    type_prompt,
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


def write_keys(home: Path) -> Path:
    path = config_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(KEYS, "utf-8")
    return path


def test_every_binding_has_an_id_and_a_help_text() -> None:
    import chattui.ui.app  # noqa: F401 - imports every screen and widget

    bound = bound_keys()
    assert {"send", "new_conversation", "quit", "settings", "cancel"} <= {b.id for b in bound}
    for item in bound:
        assert item.description, item.id
    from textual.binding import Binding
    from textual.dom import DOMNode

    from chattui.ui.keys import _classes

    for cls in _classes(DOMNode):
        if cls.__module__.startswith("chattui."):
            for binding in cls.__dict__.get("BINDINGS", []):
                assert isinstance(binding, Binding) and binding.id, (cls, binding)


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
        assert main_screen(app).log_view.has_focus

        assert "^t" in screen_text(app)  # the footer shows the new key
        await pilot.press("ctrl+t")
        assert main_screen(app).conversation.messages == []

        shown = not main_screen(app).side_panel.has_class("-hidden")
        await pilot.press("ctrl+b")  # the old key does nothing now
        assert (not main_screen(app).side_panel.has_class("-hidden")) == shown
        await pilot.press("f9")
        assert (not main_screen(app).side_panel.has_class("-hidden")) != shown
        await pilot.press("alt+s")
        assert (not main_screen(app).side_panel.has_class("-hidden")) == shown

        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        line = next(row for row in text.splitlines() if "New conversation" in row)
        assert "Ctrl+T" in line and "Ctrl+N" not in line
        line = next(row for row in text.splitlines() if "Show or hide the sidebar" in row)
        assert "F9 / Alt+S" in line
        line = next(row for row in text.splitlines() if "Send the prompt" in row)
        assert "Ctrl+O" in line


def test_readme_lists_every_binding_id() -> None:
    import chattui.ui.app  # noqa: F401 - imports every screen and widget

    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## Rebinding keys\n", 1)[1].split("\n## ", 1)[0]
    missing = [
        b.id
        for b in bound_keys()
        if f"`{b.id}`" not in section and not b.id.startswith("copy_code_")
    ]
    assert missing == []
