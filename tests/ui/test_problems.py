"""Errors worded through the catalog, the action offered by kind, and starting from the shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chattui.core.models import Conversation, Message, Role
from chattui.core.services import Services
from chattui.ui.app import ChatApp
from chattui.ui.main.start import StartAt
from chattui.ui.screens.dialogs import ProblemScreen
from chattui.ui.screens.settings import SettingsScreen
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    app_environ,
    chat_log,
    only_conversation,
    roles_and_text,
    send,
    settle,
)


async def test_an_auth_error_offers_the_settings(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(status=401))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        assert isinstance(app.screen, ProblemScreen)
        assert app.screen.text.startswith("The API key was rejected (401).")
        flat = " ".join(chat_log(app).rendered_text().split())
        assert "F2 settings · Ctrl+R retry" in flat
        await pilot.press("enter")  # "Open settings" has the focus
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)


async def test_a_server_error_offers_a_retry_and_a_cut_reply_a_continue(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    fake_server.queue(Reply(status=429), Reply(text="Partial then cut off here.", fault="cut"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "one")
        assert not isinstance(app.screen, ProblemScreen)
        flat = " ".join(chat_log(app).rendered_text().split())
        assert "Rate limited (429)" in flat and flat.endswith("Ctrl+R retry")
        await send(pilot, "two")
        flat = " ".join(chat_log(app).rendered_text().split())
        assert "Ctrl+G continue · Ctrl+R retry" in flat


async def test_start_at_a_conversation_and_send_a_prompt(
    fake_server: FakeOpenAI, home: Path
) -> None:
    services = Services.load(environ=app_environ(fake_server.base_url))
    earlier = Conversation(title="Earlier")
    earlier.add(Message(Role.USER, "first question"))
    earlier.add(Message(Role.ASSISTANT, "first answer"))
    services.store.save(earlier)
    services.connect()
    fake_server.queue(Reply(text="second answer"))
    app = ChatApp(services, warm_up=False, start=StartAt(earlier, "second question"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await settle(pilot)
        text = chat_log(app).rendered_text()
        assert "first answer" in text and "second answer" in text
    assert roles_and_text(only_conversation(home)) == [
        ("user", "complete", "first question"),
        ("assistant", "complete", "first answer"),
        ("user", "complete", "second question"),
        ("assistant", "complete", "second answer"),
    ]


ZH_SCRIPT = """
import asyncio, json, sys
from chattui.i18n import set_language
set_language("zh")
from chattui.core.services import Services
from chattui.ui.app import ChatApp
from tests.apptools import app_environ, chat_log, main_screen, prompt, screen_text, wait_for

async def main():
    services = Services.load(environ=app_environ(sys.argv[1]))
    services.connect()
    app = ChatApp(services, warm_up=False)
    seen = {}
    async with app.run_test(size=(100, 30)) as pilot:
        box = prompt(app)
        box.text = "你好"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "打开设置" in screen_text(app))  # the dialog is drawn
        seen["dialog"] = screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main_screen(app))
        seen["log"] = " ".join(chat_log(app).rendered_text().split())
        seen["footer"] = screen_text(app).splitlines()[-1]
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: "搜索命令" in screen_text(app))  # the palette is drawn
        seen["palette"] = screen_text(app)
    print(json.dumps(seen, ensure_ascii=False))

asyncio.run(main())
"""


def test_the_chinese_ui_words_errors_and_textuals_own_labels(fake_server: FakeOpenAI) -> None:
    fake_server.queue(Reply(status=401))
    result = subprocess.run(
        [sys.executable, "-c", ZH_SCRIPT, fake_server.base_url],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.splitlines()[-1])
    assert "命令面板" in seen["footer"]
    assert "API 密钥被拒绝 (401)" in seen["dialog"] and "打开设置" in seen["dialog"]
    assert "API 密钥被拒绝 (401)" in seen["log"] and "F2 设置 · Ctrl+R 重试" in seen["log"]
    assert "搜索命令……" in seen["palette"]
