"""The settings screen (F2): inline validation that blocks saving, saving config.toml and the
0600 credentials file, cancel, the reveal checkbox, and Test connection (direct, dead port,
through an HTTP proxy)."""

from __future__ import annotations

import socket
import stat
import sys
from functools import partial
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static, TextArea

from chattui.core.secrets import KeySource
from chattui.ui.main.screen import MainScreen
from chattui.ui.screens.settings import SettingsScreen
from chattui.ui.screens.welcome import WelcomeScreen
from tests.fakeserver import FakeOpenAI, Reply
from tests.fakeserver.models import DEFAULT_MODELS
from tests.proxies import HttpProxy
from tests.ui.conftest import SIZE, MakeApp, screen_text, send, settle, status_text, wait_for

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def config_file(home: Path) -> Path:
    return home / "config" / "config.toml"


def credentials_file(home: Path) -> Path:
    return home / "config" / "credentials.toml"


async def open_settings(pilot: Pilot[None]) -> SettingsScreen:
    app = pilot.app
    if isinstance(app.screen, WelcomeScreen):
        await pilot.press("escape")
    await pilot.press("f2")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


def field(screen: SettingsScreen, key: str) -> Input:
    return screen.query_one(f"#{key}", Input)


async def fill(pilot: Pilot[None], screen: SettingsScreen, key: str, value: str) -> None:
    """Replace the value of input `key` (validated as typing is, via Input.Changed)."""
    field(screen, key).value = value
    await pilot.pause()


def error_text(screen: SettingsScreen, key: str) -> str:
    error = screen.query_one(f"#{key}-error", Static)
    return str(error.content) if error.has_class("-shown") else ""


def result_text(screen: SettingsScreen) -> str:
    return str(screen.query_one("#test-result", Static).content)


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- validation


INVALID = [
    # (input, value, words in the inline error, a valid value that clears it)
    ("max_tokens", "0", "must be greater than 0", "1"),
    ("max_tokens", "abc", "must be a whole number", ""),
    ("proxy", "ftp://x", "scheme must be one of http, https, socks5, socks5h", ""),
    ("base_url", "api.openai.com", "must start with http:// or https://", "http://h/v1"),
    ("temperature", "3", "must be between 0 and 2", "0.7"),
    ("timeout", "0.5", "must be between 1 and 3600", "1"),
    ("api_key", "sk-pasted with-space", "The API key contains a space", ""),
]


async def test_invalid_values_show_inline_errors_and_are_not_saved(
    make_app: MakeApp, home: Path
) -> None:
    # One screen for all the cases: opening the settings screen is the slow part.
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        for key, value, words, valid in INVALID:
            case = f"{key}={value!r}"
            await fill(pilot, screen, key, value)
            assert words in error_text(screen, key), case
            assert field(screen, key).has_class("-invalid"), case

            await pilot.press("ctrl+s")
            assert app.screen is screen, case
            assert "Some values are invalid" in result_text(screen), case
            assert not config_file(home).exists(), case

            await fill(pilot, screen, key, valid)
            assert error_text(screen, key) == "", case
            assert not field(screen, key).has_class("-invalid"), case

        # Typed key by key, as a user would.
        field(screen, "max_tokens").focus()
        await fill(pilot, screen, "max_tokens", "")
        await pilot.press("a", "b", "c")
        assert field(screen, "max_tokens").value == "abc"
        assert "must be a whole number" in error_text(screen, "max_tokens")
        await pilot.press("ctrl+s")
        assert app.screen is screen
        await pilot.click("#save")  # the button refuses too
        assert app.screen is screen
        assert "Some values are invalid" in result_text(screen)
    assert not config_file(home).exists()
    assert app.services.settings.max_tokens is None


# --------------------------------------------------------------------------- saving


async def test_save_writes_config_and_private_credentials(
    make_app: MakeApp, fake_server: FakeOpenAI, http_proxy: HttpProxy, home: Path
) -> None:
    key = "sk-typed-in-settings-0123456789"
    app = make_app(key=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await pilot.click("#test")
        assert result_text(screen) == "Enter an API key first."
        await fill(pilot, screen, "api_key", key)
        await fill(pilot, screen, "model", "gpt-4o")
        await fill(pilot, screen, "max_tokens", "512")
        await fill(pilot, screen, "temperature", "0.5")
        await fill(pilot, screen, "timeout", "30")
        await fill(pilot, screen, "proxy", http_proxy.url)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        status = status_text(app)
        assert " · gpt-4o ·" in status and "no API key" not in status, status

        # The new key, model and proxy are used at once.
        fake_server.queue(Reply(text="Through the proxy."))
        await send(pilot, "hello")
        request = fake_server.chat_requests[-1]
        assert request.headers["authorization"] == f"Bearer {key}"
        assert request.json["model"] == "gpt-4o"
        assert request.json["max_tokens"] == 512
        assert request.json["temperature"] == 0.5
        assert any(c.allowed for c in http_proxy.connections)

    text = config_file(home).read_text("utf-8")
    config = tomllib.loads(text)
    assert config["model"] == "gpt-4o"
    assert config["max_tokens"] == 512
    assert config["temperature"] == 0.5
    assert config["timeout"] == 30.0
    assert config["proxy"] == http_proxy.url
    assert key not in text and "api_key" not in config
    assert stat.S_IMODE(config_file(home).stat().st_mode) == 0o600

    credentials = credentials_file(home)
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert tomllib.loads(credentials.read_text("utf-8")) == {"api_key": key}
    assert app.services.key_source is KeySource.FILE


async def test_save_keeps_the_hidden_proxy_password_and_writes_no_credentials(
    make_app: MakeApp, home: Path
) -> None:
    proxy = "http://user:s3cret-pw@127.0.0.1:7890"
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(f'proxy = "{proxy}"\n', "utf-8")
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert field(screen, "proxy").value == "http://user:***@127.0.0.1:7890"
        assert "s3cret-pw" not in screen_text(app)
        await fill(pilot, screen, "model", "o3-mini")
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "s3cret-pw" not in screen_text(app)
    config = tomllib.loads(config_file(home).read_text("utf-8"))
    assert config["model"] == "o3-mini"
    assert config["proxy"] == proxy
    assert not credentials_file(home).exists()


async def test_save_keeps_the_key_from_the_services_environ(make_app: MakeApp) -> None:
    app = make_app()  # the key is only in the environ passed to Services.load
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await fill(pilot, screen, "model", "gpt-4o")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.services.has_key
    # The base URL came from the environment and was left alone: it stays a one-off.
    saved = (app.services.paths.config_file).read_text("utf-8")
    assert 'model = "gpt-4o"' in saved and "base_url" not in saved


COMMENTED = """\
# chattui settings: notes of mine.
model = "gpt-4o"  # the usual one
max_tokens = 800

# A profile to try later (the README's example):
# [profiles.deepseek]
# base_url = "https://api.deepseek.com/v1"

[profiles.local]
base_url = "http://127.0.0.1:11434/v1"  # ollama
model = "llama3"

[keys]
# Mine:
new_conversation = "ctrl+t"  # like a browser
"""


async def test_save_keeps_the_comments_and_layout_of_config_toml(
    make_app: MakeApp, home: Path
) -> None:
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(COMMENTED, "utf-8")
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await fill(pilot, screen, "model", "gpt-4.1")
        await fill(pilot, screen, "max_tokens", "")
        await fill(pilot, screen, "temperature", "0.5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    # Only the changed values differ: the model in place (its comment kept), max_tokens gone,
    # the temperature added among the top-level values.
    expected = COMMENTED.replace('"gpt-4o"  #', '"gpt-4.1"  #').replace(
        "max_tokens = 800\n", "temperature = 0.5\n"
    )
    assert config_file(home).read_text("utf-8") == expected
    assert stat.S_IMODE(config_file(home).stat().st_mode) == 0o600
    assert [p.name for p in config_file(home).parent.iterdir()] == ["config.toml"]


async def test_a_new_default_system_prompt_applies_to_the_empty_conversation(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#system_prompt", TextArea).text = "Answer in haiku."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "Answer in haiku." in screen_text(app)  # shown at the top of the log
        await pilot.press("ctrl+n")  # the empty conversation stays: it has the new prompt
        fake_server.queue(Reply(text="Five, seven, five."))
        await send(pilot, "hello")
        messages = fake_server.chat_requests[-1].json["messages"]
        assert messages[0] == {"role": "system", "content": "Answer in haiku."}


async def test_escape_cancels_without_writing(make_app: MakeApp, home: Path) -> None:
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        await fill(pilot, screen, "model", "something-else")
        await fill(pilot, screen, "api_key", "sk-not-to-be-saved-000000")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.services.settings.model == "gpt-4o-mini"
        assert "gpt-4o-mini" in status_text(app)
        await pilot.press("f2")  # the form is read again from the settings
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert field(app.screen, "model").value == "gpt-4o-mini"
        await pilot.click("#cancel")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert not config_file(home).exists()
    assert not credentials_file(home).exists()


async def test_reveal_checkbox_toggles_password(make_app: MakeApp) -> None:
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        key_input = field(screen, "api_key")
        await fill(pilot, screen, "api_key", "sk-secret-value-12345678")
        assert key_input.password
        assert "sk-secret-value" not in screen_text(app)
        await pilot.click("#reveal")
        await pilot.pause()
        assert screen.query_one("#reveal", Checkbox).value
        assert not key_input.password
        assert "sk-secret-value-12345678" in screen_text(app)
        await pilot.click("#reveal")
        await pilot.pause()
        assert key_input.password


# --------------------------------------------------------------------------- test connection


def says(screen: SettingsScreen, words: str) -> bool:
    """Whether the test's result ends with ``words``."""
    return result_text(screen).endswith(words)


async def test_test_connection_direct_dead_port_and_through_the_proxy(
    make_app: MakeApp, fake_server: FakeOpenAI, http_proxy: HttpProxy, home: Path
) -> None:
    app = make_app(connect=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)

        # Direct, to the fake server of the environment.
        await pilot.click("#test")
        await settle(pilot)
        assert result_text(screen) == "Connected: 4 models available."
        assert screen.query_one("#test-result").has_class("-ok")
        listed = [r for r in fake_server.requests if r.path == "/v1/models"]
        assert len(listed) == 1 and listed[0].headers["authorization"].startswith("Bearer sk-")
        assert http_proxy.connections == []
        for models, words in ((["only-one"], "1 model available."), ([], "lists no models.")):
            fake_server.models = models
            screen.query_one("#test", Button).press()  # where it is now (the result may move it)
            await wait_for(pilot, partial(says, screen, words))
        fake_server.models = list(DEFAULT_MODELS)

        # A port nobody listens on: the failure, with the address.
        port = free_port()
        await fill(pilot, screen, "base_url", f"http://127.0.0.1:{port}/v1")
        await pilot.click("#test")
        await settle(pilot)
        text = result_text(screen)
        assert text.startswith(f"Failed: Cannot connect to 127.0.0.1:{port}"), text
        assert screen.query_one("#test-result").has_class("-fail")

        # Through the proxy typed in the form (not saved).
        await fill(pilot, screen, "base_url", fake_server.base_url)
        await fill(pilot, screen, "proxy", http_proxy.url)
        await pilot.click("#test")
        await settle(pilot)
        assert result_text(screen) == "Connected: 4 models available."
        assert app.screen is screen
    relayed = http_proxy.relayed
    assert relayed, http_proxy.connections
    assert relayed[0].target == f"127.0.0.1:{fake_server.port}"
    assert len([r for r in fake_server.requests if r.path == "/v1/models"]) == 4
    assert not config_file(home).exists()
