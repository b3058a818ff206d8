"""UI test fixtures: a `ChatApp` wired to the fake OpenAI server, and small pilot helpers.

Autouse: `no_cursor_blink` (the prompt's and the inputs' cursors stay still, so screenshots
and timing do not depend on the blink phase).

On request: `make_app` builds a `ChatApp` whose services read an explicit environ (the
isolated CHATTUI_HOME, the fake server's base URL and a test key); the client is built up
front (`Services.connect()`) and the warm-up thread is off, so nothing races the first send.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any, Protocol

import pytest
import pytest_textual_snapshot
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from chattui.ui.app import ChatApp

# Re-exported for the UI tests (`x as x` is an explicit re-export for mypy).
from tests.apptools import TEST_KEY as TEST_KEY
from tests.apptools import app_environ as app_environ
from tests.apptools import build_app as build_app
from tests.apptools import chat_app as chat_app
from tests.apptools import chat_log as chat_log
from tests.apptools import cursor_lines as cursor_lines
from tests.apptools import main_screen as main_screen
from tests.apptools import notices as notices
from tests.apptools import prompt as prompt
from tests.apptools import screen_text as screen_text
from tests.apptools import sidebar as sidebar
from tests.apptools import status_text as status_text
from tests.apptools import wait_for as wait_for
from tests.fakeserver import FakeOpenAI

# pytest-textual-snapshot 1.0 names its extension with syrupy's old attribute (`_file_extension`);
# syrupy 5+ reads `file_extension`, and would store the screenshots as `.raw` files.
pytest_textual_snapshot.SVGImageExtension.file_extension = "svg"

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors do not blink (the reactive's class default is changed for the test)."""
    monkeypatch.setattr(TextArea.cursor_blink, "_default", False)
    monkeypatch.setattr(Input.cursor_blink, "_default", False)


class SnapCompare(Protocol):
    """The `snap_compare` fixture's function (pytest-textual-snapshot annotates the fixture
    with a narrower type than the function it returns)."""

    def __call__(
        self,
        app: str | PurePath | App[None],
        press: Iterable[str] = (),
        terminal_size: tuple[int, int] = (80, 24),
        run_before: Callable[[Pilot[None]], Awaitable[None] | None] | None = None,
    ) -> bool: ...


class MakeApp(Protocol):
    def __call__(
        self,
        *,
        key: str | None = TEST_KEY,
        env: Mapping[str, str] | None = None,
        connect: bool = True,
        warm_up: bool = False,
    ) -> ChatApp: ...


@pytest.fixture
def make_app(fake_server: FakeOpenAI) -> MakeApp:
    """Build a `ChatApp` against `fake_server` (call it again for a restart)."""

    def make(
        *,
        key: str | None = TEST_KEY,
        env: Mapping[str, str] | None = None,
        connect: bool = True,
        warm_up: bool = False,
    ) -> ChatApp:
        return build_app(fake_server.base_url, key, env, connect=connect, warm_up=warm_up)

    return make


@pytest.fixture
def home() -> Path:
    """The isolated CHATTUI_HOME."""
    return Path(os.environ["CHATTUI_HOME"])


# --------------------------------------------------------------------------- helpers


async def wait_for_workers(app: App[None]) -> None:
    """`app.workers.wait_for_complete()`, except that a cancelled worker (a stopped reply)
    counts as done instead of raising `WorkerCancelled`."""
    while pending := [worker for worker in app.workers if not worker.is_finished]:
        await asyncio.gather(*(worker.wait() for worker in pending), return_exceptions=True)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker, then for the screen to process what they posted (twice: the
    chat log may start a background render worker after a reply ends)."""
    for _ in range(2):
        await wait_for_workers(pilot.app)
        await pilot.pause()


async def type_prompt(pilot: Pilot[None], text: str) -> None:
    """Put `text` in the prompt as a terminal paste does, without sending.

    The Paste goes to the app, as the driver sends it, and the app forwards it to the focused
    widget (posted to the prompt directly it would bubble up to the app and be inserted twice).
    """
    box = prompt(chat_app(pilot))
    box.focus()
    await wait_for(pilot, lambda: box.has_focus)
    pilot.app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: text in box.text)


async def press_now(pilot: Pilot[None], key: str) -> None:
    """Press `key` as the driver does, without `pilot.press`'s wait for an idle CPU."""
    event = events.Key(key, None)
    event.set_sender(pilot.app)
    pilot.app.post_message(event)
    await pilot.pause(0)  # one turn of the loop, not a wait: callers wait for what the key does


async def press_binding(pilot: Pilot[None], binding_id: str) -> None:
    """Press the key bound to the binding ``binding_id`` where the focus is (tests name the
    action: its key may be rebound)."""
    keys = [
        key for key, bound in pilot.app.active_bindings.items() if bound.binding.id == binding_id
    ]
    assert keys, f"no key is bound to {binding_id!r} here"
    await pilot.press(keys[0])


async def send(pilot: Pilot[None], text: str, *, wait: bool = True) -> None:
    """Type `text` and press Enter; with `wait`, until the reply has finished, else until
    the prompt has been taken (cleared)."""
    await type_prompt(pilot, text)
    await press_now(pilot, "enter")
    if wait:
        await settle(pilot)
    else:
        box = prompt(chat_app(pilot))
        await wait_for(pilot, lambda: box.text == "")


def conversations_dir(home: Path) -> Path:
    return home / "data" / "conversations"


def saved_conversations(home: Path) -> list[dict[str, Any]]:
    """Every conversation file on disk (index excluded), oldest first."""
    files = sorted(p for p in conversations_dir(home).glob("*.json") if p.name != "index.json")
    data = [json.loads(p.read_text("utf-8")) for p in files]
    return sorted(data, key=lambda c: c["created"])


def only_conversation(home: Path) -> dict[str, Any]:
    saved = saved_conversations(home)
    assert len(saved) == 1, saved
    return saved[0]


def roles_and_text(conversation: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(role, status, content) of each message in a saved conversation."""
    return [(m["role"], m["status"], m["content"]) for m in conversation["messages"]]
