"""Screenshots of the main states, compared with the SVGs in `__snapshots__/`.

Regenerate after an intended change with
`uv run pytest tests/ui/test_snapshots.py --snapshot-update`, then look at the SVGs.

What is on screen must not depend on the run: the fake server's port is random, so the
settings name a fixed base URL (shown in the status line and the settings form) while the
session's client is pointed at the fake server; replies are fixed texts; the sidebar's
"just now" holds for a minute; cursors do not blink (see conftest).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from chattui.core.client import ChatClient
from chattui.core.services import Services
from chattui.ui.app import ChatApp
from tests.fakeserver import DEMO_MARKDOWN, FakeOpenAI, Reply
from tests.ui.conftest import SIZE, SnapCompare, app_environ, send

SHOWN_BASE_URL = "http://127.0.0.1:8765/v1"
"""The base URL on screen (the fake server's usual manual port)."""


@pytest.fixture
def snapshot_app(fake_server: FakeOpenAI) -> ChatApp:
    """An app whose settings show SHOWN_BASE_URL and whose client talks to fake_server."""
    services = Services.load(environ=app_environ(SHOWN_BASE_URL))
    assert services.key.key is not None
    services.engine.session.client = ChatClient(services.key.key, fake_server.base_url, timeout=10)
    return ChatApp(services, warm_up=False)


def sending(text: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()  # the snapshot's pilot starts before the first screen is composed
        await send(pilot, text)

    return run_before


def test_main_screen_with_markdown_reply(
    snap_compare: SnapCompare, snapshot_app: ChatApp, fake_server: FakeOpenAI
) -> None:
    """You should see the sidebar with one conversation titled "Show me Markdown 和中文"
    (marked current, "just now"), the end of a Markdown reply at the bottom of the chat
    (a highlighted Python code block, a table with a 中文 row, "That's all. 完。"), an empty
    prompt with its placeholder, and "ready · gpt-4o-mini" with token counts and
    "127.0.0.1:8765" in the status line."""
    fake_server.queue(Reply(text=DEMO_MARKDOWN, chunk_size=16))
    assert snap_compare(
        snapshot_app, terminal_size=SIZE, run_before=sending("Show me Markdown 和中文")
    )


def test_settings_screen(snap_compare: SnapCompare, snapshot_app: ChatApp) -> None:
    """You should see the settings dialog over the main screen: an empty API key field with
    "saved: sk-...3333 (type to replace)", a Show checkbox and "In use: from the
    OPENAI_API_KEY environment variable"; Base URL http://127.0.0.1:8765/v1 (focused), an
    empty proxy, model gpt-4o-mini, timeout 60; Test connection / Cancel / Save buttons."""
    assert snap_compare(snapshot_app, terminal_size=SIZE, press=["f2"])


def test_error_401_inline(
    snap_compare: SnapCompare, snapshot_app: ChatApp, fake_server: FakeOpenAI
) -> None:
    """You should see, dimmed behind a dialog titled "Error" that says "The API key was
    rejected (401). The server said: Incorrect API key provided: ..." with the buttons "Later"
    and "Open settings" (focused): the user's "Hello 你好" and under "Assistant · gpt-4o-mini"
    the same error in red with the dim hint "F2 settings · Ctrl+R retry", and
    "error: Ctrl+R retries" in the status line."""
    fake_server.queue(Reply(status=401))
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=sending("Hello 你好"))


def test_main_screen_80x24(
    snap_compare: SnapCompare, snapshot_app: ChatApp, fake_server: FakeOpenAI
) -> None:
    """You should see at 80x24 the sidebar (32 columns) with "Short question 短问题", the
    question and the reply (a wrapped first paragraph with inline code, two bullets in
    Chinese, "That is all, 就这些。"), the prompt, the status line (state and model first,
    shortened to the width) and the footer keys, with nothing overlapping."""
    reply = (
        "A short answer with `inline code` and **bold** text.\n\n"
        "- 第一点: one\n- 第二点: two\n\nThat is all, 就这些。"
    )
    fake_server.queue(Reply(text=reply))
    assert snap_compare(
        snapshot_app, terminal_size=(80, 24), run_before=sending("Short question 短问题")
    )
