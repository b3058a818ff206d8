"""The live token budget while typing, and the "not sent" notice when history is trimmed."""

from __future__ import annotations

import os

from textual.widgets import Static

from chattui.core.services import Services
from chattui.ui.app import ChatApp
from chattui.ui.widgets.chat_log import ChatLog
from chattui.ui.widgets.prompt import PromptInput
from tests.fakeserver import FakeOpenAI, Reply


def make_app(server: FakeOpenAI, **extra: str) -> ChatApp:
    environ = {
        "CHATTUI_HOME": os.environ["CHATTUI_HOME"],
        "OPENAI_API_KEY": "sk-budget-test-1234",
        "OPENAI_BASE_URL": server.base_url,
        **extra,
    }
    return ChatApp(Services.load(environ=environ))


def budget_of(app: ChatApp) -> str:
    return str(app.screen.query_one("#status-budget", Static).render())


async def test_budget_updates_as_you_type(fake_server: FakeOpenAI) -> None:
    app = make_app(fake_server, CHATTUI_MODEL="gpt-4o", CHATTUI_MAX_TOKENS="1000")
    async with app.run_test(size=(160, 30)) as pilot:
        await app.warmed_up.wait()  # the warm-up loads the tokenizer
        await pilot.pause()
        empty = budget_of(app)
        assert "prompt 0 " in empty and "reply 1,000" in empty and "of 128,000 left" in empty
        await pilot.press(*"hello world")
        await pilot.pause()
        typed = budget_of(app)
        assert "prompt 2 " in typed
        app.screen.query_one(PromptInput).insert(" 你好，世界" * 50)
        await pilot.pause()
        assert "prompt 2 " not in budget_of(app)
        left_before = int(typed.split("→ ")[1].split(" of")[0].replace(",", ""))
        left_after = int(budget_of(app).split("→ ")[1].split(" of")[0].replace(",", ""))
        assert left_after < left_before


async def test_over_the_window_warns_and_trims(fake_server: FakeOpenAI) -> None:
    app = make_app(
        fake_server,
        CHATTUI_MODEL="tiny-local-model",
        CHATTUI_CONTEXT_WINDOW="400",
        CHATTUI_MAX_TOKENS="50",
    )
    long_text = "word " * 100  # ~100 tokens each turn
    async with app.run_test(size=(160, 30)) as pilot:
        await app.warmed_up.wait()
        prompt = app.screen.query_one(PromptInput)
        for _turn in range(3):
            fake_server.queue(Reply(text="ok " * 30))
            prompt.insert(long_text)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        log = app.screen.query_one(ChatLog)
        assert "earlier messages not sent" in log.rendered_text()
        sent = fake_server.latest_request.json["messages"]
        assert len(sent) < 5 and sent[-1]["content"] == long_text
        prompt.insert(long_text * 3)
        await pilot.pause()
        assert "~" in budget_of(app)  # no exact tokenizer for this model: counts are estimates


async def test_prompt_too_big_sends_nothing(fake_server: FakeOpenAI) -> None:
    app = make_app(fake_server, CHATTUI_MODEL="gpt-4o", CHATTUI_CONTEXT_WINDOW="300")
    async with app.run_test(size=(160, 30)) as pilot:
        await app.warmed_up.wait()
        app.screen.query_one(PromptInput).insert("lorem ipsum " * 70000)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fake_server.chat_requests == []
        text = app.screen.query_one(ChatLog).rendered_text()
        assert "too long for gpt-4o" in text and "Nothing was sent" in text
