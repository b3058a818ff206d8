"""``api_key_command`` never runs on the event loop: at start-up, on saving the settings and
for Test connection it runs in a thread, with "running api_key_command…" on screen; the app
answers keys meanwhile, then uses the key the command printed; a failure or a timeout is
said clearly.

The key command is ``cat FIFO``: it blocks until the test writes the key into the FIFO (from
a thread, so the app's loop never waits on the FIFO either).
"""

from __future__ import annotations

import asyncio
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from chattui.core import secrets
from chattui.core.secrets import ApiKey, KeySource
from chattui.core.services import Services
from chattui.ui.app import ChatApp
from chattui.ui.main.profiles import profile_choices
from chattui.ui.main.screen import MainScreen
from chattui.ui.main.start import StartAt
from chattui.ui.screens.settings import SettingsScreen
from tests.apptools import app_environ, main_screen, prompt, status_text
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import SIZE, notices, settle, wait_for

KEY = "sk-from-the-key-command-4242"


class Fifo:
    """A named pipe whose reader (the key command) waits until :meth:`release` writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.released = False

    @property
    def command(self) -> str:
        return f"cat {shlex.quote(str(self.path))}"

    def _write(self, text: str) -> None:
        with self.path.open("w", encoding="utf-8") as pipe:  # waits for the reader to open
            pipe.write(text)

    async def release(self, text: str) -> None:
        """Give the waiting command its output (written from a thread)."""
        self.released = True
        await asyncio.to_thread(self._write, text)

    def close(self) -> None:
        """Let a command still waiting finish (so that no thread outlives the test)."""
        if self.released:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader: nothing waits
            return
        os.close(fd)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Fifo]:
    pipe = Fifo(tmp_path / "key.fifo")
    yield pipe
    pipe.close()


def write_config(text: str) -> None:
    config = Path(os.environ["CHATTUI_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, "utf-8")


def deferring_app(server: FakeOpenAI, start: StartAt | None = None) -> ChatApp:
    """The app as `chattui` builds it: key commands deferred to a worker."""
    services = Services.load(
        environ=app_environ(server.base_url, key=None), defer_key_commands=True
    )
    return ChatApp(services, warm_up=False, start=start)


def key_workers_running(app: ChatApp) -> bool:
    return any("key-command" in (w.group or "") and not w.is_finished for w in app.workers)


async def test_the_start_up_key_command_runs_in_a_thread_while_keys_are_answered(
    fake_server: FakeOpenAI, fifo: Fifo
) -> None:
    write_config(f"api_key_command = {fifo.command!r}\n")
    app = deferring_app(fake_server)
    assert app.services.key.pending and app.services.key.key is None
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "running api_key_command…" in status_text(app))
        assert isinstance(app.screen, MainScreen)  # no welcome screen: a key is on its way
        await pilot.press(*"hello")  # the loop is free: keys are answered at once
        assert prompt(app).text == "hello" and key_workers_running(app)
        await pilot.press("enter")  # not sent yet: the prompt is kept, with a word why
        assert prompt(app).text == "hello" and fake_server.chat_requests == []
        await fifo.release(KEY + "\n")
        await wait_for(pilot, lambda: "ready" in status_text(app))
        assert app.services.key.key == ApiKey(KEY)
        assert app.services.key.source is KeySource.COMMAND
        fake_server.queue(Reply(text="Hi."))
        await pilot.press("enter")
        await settle(pilot)
        assert fake_server.chat_requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def test_the_command_lines_prompt_waits_for_the_key_then_is_sent(
    fake_server: FakeOpenAI, fifo: Fifo
) -> None:
    write_config(f"api_key_command = {fifo.command!r}\n")
    fake_server.queue(Reply(text="Sent after the key came."))
    app = deferring_app(fake_server, StartAt(prompt="first question"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "running api_key_command…" in status_text(app))
        await fifo.release(KEY)
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 1)
        await settle(pilot)
        request = fake_server.chat_requests[0]
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.json["messages"][-1]["content"] == "first question"


async def test_a_failing_key_command_is_reported(fake_server: FakeOpenAI, tmp_path: Path) -> None:
    script = tmp_path / "fails.sh"
    script.write_text("#!/bin/sh\necho 'no such entry' >&2\nexit 3\n")
    script.chmod(0o700)
    write_config(f"api_key_command = {str(script)!r}\n")
    app = deferring_app(fake_server)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not key_workers_running(app) and notices(app))
        assert "no API key" in status_text(app)
        assert notices(app) == [
            "Could not get the API key: api_key_command failed with exit code 3."
        ]
        assert app.services.key.key is None and not app.services.key.pending


async def test_a_key_command_that_hangs_times_out_with_a_clear_message(
    fake_server: FakeOpenAI, fifo: Fifo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT", 0.3)
    write_config(f"api_key_command = {fifo.command!r}\n")
    app = deferring_app(fake_server)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not key_workers_running(app) and notices(app))
        assert "no API key" in status_text(app)
        assert notices(app) == [
            "Could not get the API key: api_key_command did not finish within 0.3 s."
        ]


# --------------------------------------------------------------------------- settings


def result_text(screen: SettingsScreen) -> str:
    return str(screen.query_one("#test-result", Static).content)


async def open_settings(pilot: Pilot[Any]) -> SettingsScreen:
    await pilot.press("escape")  # the welcome screen (no key yet)
    await pilot.press("f2")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


async def test_saving_a_key_command_runs_it_in_a_thread_then_saves(
    fake_server: FakeOpenAI, fifo: Fifo
) -> None:
    app = deferring_app(fake_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#api_key_command", Input).value = fifo.command
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: key_workers_running(app))
        assert result_text(screen) == "Running api_key_command…"
        model = screen.query_one("#model", Input)
        model.focus()
        model.value = ""
        await pilot.press(*"gpt-4o")  # the form still answers keys
        assert model.value == "gpt-4o" and app.screen is screen
        await fifo.release(KEY)
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.services.settings.api_key_command == fifo.command
        assert app.services.settings.model == "gpt-4o"
        assert app.services.key.key == ApiKey(KEY)
        # The status line follows once the settings' callback has run.
        await wait_for(pilot, lambda: "no API key" not in status_text(app))


async def test_a_failing_key_command_blocks_save_once_then_saves_anyway(
    fake_server: FakeOpenAI,
) -> None:
    app = deferring_app(fake_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#api_key_command", Input).value = "false"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Could not get the API key" in result_text(screen))
        assert "api_key_command failed with exit code 1." in result_text(screen)
        assert app.screen is screen and app.services.settings.api_key_command == ""
        await pilot.press("ctrl+s")  # saves without the key, as asked
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.services.settings.api_key_command == "false"
        assert "no API key" in status_text(app)


async def test_test_connection_runs_the_forms_key_command_first(
    fake_server: FakeOpenAI, fifo: Fifo
) -> None:
    app = deferring_app(fake_server)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#api_key_command", Input).value = fifo.command
        await pilot.click("#test")
        await wait_for(pilot, lambda: result_text(screen) == "Running api_key_command…")
        await fifo.release(KEY)
        await wait_for(pilot, lambda: result_text(screen).startswith("Connected"))
        models = [r for r in fake_server.requests if r.path.endswith("/models")]
        assert models[-1].headers["authorization"] == f"Bearer {KEY}"
        assert app.services.settings.api_key_command == ""  # tested, not saved


async def test_switching_to_a_profile_runs_its_key_command_in_a_thread(
    fake_server: FakeOpenAI, fifo: Fifo
) -> None:
    write_config(
        "[profiles.work]\n"
        f"base_url = {fake_server.base_url!r}\n"
        "model = 'gpt-4o'\n"
        "needs_key = true\n"
        f"api_key_command = {fifo.command!r}\n"
    )
    services = Services.load(environ=app_environ(fake_server.base_url), defer_key_commands=True)
    app = ChatApp(services, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "ready" in status_text(app) and not key_workers_running(app)
        labels = [label for label, _value in profile_choices(services)]
        assert any(
            label.startswith("work") and "key from api_key_command" in label for label in labels
        )
        main_screen(app).use_profile("work")
        assert "running api_key_command…" in status_text(app)
        await pilot.press(*"hi")
        assert prompt(app).text == "hi" and key_workers_running(app)
        await fifo.release(KEY)
        await wait_for(pilot, lambda: "ready" in status_text(app))
        fake_server.queue(Reply(text="From work."))
        await pilot.press("enter")
        await settle(pilot)
        request = fake_server.chat_requests[-1]
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.json["model"] == "gpt-4o"
