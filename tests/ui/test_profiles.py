"""Endpoint profiles in the app: the status line names the profile, a conversation switches
profile from the command palette's picker (saved with it), and Settings switches the default."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Select, Static

from chattui.ui.screens.picker import PickerScreen
from chattui.ui.screens.settings import SettingsScreen
from chattui.ui.screens.welcome import WelcomeScreen
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    main_screen,
    only_conversation,
    send,
    settle,
    status_text,
)
from tests.ui.test_settings import config_file, open_settings, result_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture
def second_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def write_profiles(home: Path, first: FakeOpenAI, second: FakeOpenAI) -> None:
    config_file(home).parent.mkdir(parents=True, exist_ok=True)
    config_file(home).write_text(
        f"""\
profile = "alpha"

[profiles.alpha]
base_url = "{first.base_url}"
model = "model-alpha"
headers = {{ "X-Profile" = "alpha" }}

[profiles.beta]
base_url = "{second.base_url}"
model = "model-beta"
headers = {{ "X-Profile" = "beta" }}
""",
        "utf-8",
    )


async def test_conversation_switches_profile_and_keeps_it(
    make_app: MakeApp, fake_server: FakeOpenAI, second_server: FakeOpenAI, home: Path
) -> None:
    write_profiles(home, fake_server, second_server)
    fake_server.default_reply = Reply(text="from alpha")
    second_server.default_reply = Reply(text="from beta")
    app = make_app(key=None)  # local endpoints: no key needed, no welcome screen
    async with app.run_test(size=SIZE) as pilot:
        assert f"alpha: 127.0.0.1:{fake_server.port}" in status_text(app)
        assert "model-alpha" in status_text(app)
        await send(pilot, "hello")
        request = fake_server.latest_request
        assert request.json["model"] == "model-alpha"
        assert request.headers["x-profile"] == "alpha"
        assert "authorization" not in request.headers

        main_screen(app).action_pick_profile()
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("down", "enter")  # (top-level), alpha, [beta]
        await pilot.pause()
        assert f"beta: 127.0.0.1:{second_server.port}" in status_text(app)
        await send(pilot, "again")
        request = second_server.latest_request
        assert request.json["model"] == "model-beta"
        assert request.headers["x-profile"] == "beta"
        assert [m["content"] for m in request.json["messages"]][-1] == "again"
    saved = only_conversation(home)
    assert saved["params"]["profile"] == "beta" and saved["model"] == "model-beta"

    # A restart reopens it on its own profile, whatever the default.
    app = make_app(key=None)
    async with app.run_test(size=SIZE) as pilot:
        main_screen(app).conversations.open(saved["id"])
        await pilot.pause()
        assert "beta:" in status_text(app)
        await send(pilot, "third")
        assert second_server.latest_request.json["messages"][-1]["content"] == "third"


async def test_settings_switch_the_default_profile(
    make_app: MakeApp, fake_server: FakeOpenAI, second_server: FakeOpenAI, home: Path
) -> None:
    write_profiles(home, fake_server, second_server)
    app = make_app(key=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#profile", Select).value = "beta"
        await pilot.pause()
        screen._test()  # Test connection tries the profile chosen in the form
        await settle(pilot)
        assert "Connected" in result_text(screen)
        request = second_server.latest_request
        assert request.path.endswith("/models") and request.headers["x-profile"] == "beta"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "beta:" in status_text(app)
        assert app.services.settings_for(main_screen(app).conversation).model == "model-beta"
    table = tomllib.loads(config_file(home).read_text("utf-8"))
    assert table["profile"] == "beta"
    assert sorted(table["profiles"]) == ["alpha", "beta"]  # the profiles are kept


def write_keyed_profile(home: Path, server: FakeOpenAI, extra: str = "") -> None:
    config_file(home).parent.mkdir(parents=True, exist_ok=True)
    config_file(home).write_text(
        f'profile = "deep"\n\n[profiles.deep]\nbase_url = "{server.base_url}"\n'
        f'needs_key = true\napi_key_env = "DEEPSEEK_API_KEY"\n{extra}',
        "utf-8",
    )


async def test_a_profile_without_its_key_names_its_own_key_sources(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    write_keyed_profile(home, fake_server, 'api_key_command = "false"\n')
    app = make_app()  # OPENAI_API_KEY is set, and is not the profile's key
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        welcome = str(app.screen.query_one(Static).content)
        assert "OPENAI_API_KEY" not in welcome
        words = "Profile deep takes its key from the environment variable DEEPSEEK_API_KEY, else"
        assert words in welcome, welcome
        await pilot.press("enter")  # open the settings
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        hint = str(app.screen.query_one("#key-source", Static).content)
        assert "OPENAI_API_KEY" not in hint
        assert "DEEPSEEK_API_KEY, else its api_key_command" in hint, hint


async def test_settings_names_the_source_of_a_profiles_key(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    write_keyed_profile(home, fake_server)
    app = make_app(env={"DEEPSEEK_API_KEY": "sk-deepseek-0123456789"})
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        hint = str(screen.query_one("#key-source", Static).content)
        assert hint == (
            "In use: the key of profile deep, from the environment variable DEEPSEEK_API_KEY."
        )


async def test_the_status_line_keeps_the_profile_at_80_columns(
    make_app: MakeApp, fake_server: FakeOpenAI, second_server: FakeOpenAI, home: Path
) -> None:
    write_profiles(home, fake_server, second_server)
    app = make_app(key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "hello")
        await settle(pilot)
        shown = str(main_screen(app).query_one("#status-left", Static).content)
        # The host does not fit beside the budget: the profile's name stays, last.
        assert shown.startswith("ready · model-alpha") and shown.endswith(" · alpha"), shown
        await pilot.resize_terminal(160, 24)
        await settle(pilot)
        shown = str(main_screen(app).query_one("#status-left", Static).content)
        assert shown.endswith(f" · alpha: 127.0.0.1:{fake_server.port}"), shown
