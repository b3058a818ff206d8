"""The live token budget while typing, and the "not sent" notice when history is trimmed."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import pytest
from textual.widgets import Static

from chattui.core.services import Services
from chattui.core.tokens import Tokenizer, counter_for_model
from chattui.ui.app import ChatApp
from chattui.ui.widgets.chat_log import ChatLog
from chattui.ui.widgets.prompt import PromptInput
from tests.apptools import main_screen
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import send, type_prompt, wait_for


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


async def test_a_large_paste_is_counted_in_a_thread_after_a_pause(
    fake_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = "lorem ipsum dolor sit amet, 你好世界 " * 30_000  # about 1 MB
    expected = counter_for_model("gpt-4o").count(big + "!")
    encodes: list[tuple[int, int]] = []
    """(thread, characters) of every text the tokenizer encodes."""
    count_many = Tokenizer.count_many

    def spy(self: Tokenizer, texts: Sequence[str]) -> list[int]:
        encodes.extend((threading.get_ident(), len(text)) for text in texts)
        return count_many(self, texts)

    monkeypatch.setattr(Tokenizer, "count_many", spy)
    app = make_app(fake_server, CHATTUI_MODEL="gpt-4o", CHATTUI_MAX_TOKENS="1000")
    async with app.run_test(size=(160, 30)) as pilot:
        await app.warmed_up.wait()
        await pilot.pause()
        loop_thread = threading.get_ident()
        assert "prompt 0 " in budget_of(app)
        await type_prompt(pilot, big)
        await pilot.press("!")
        screen = main_screen(app)
        await wait_for(
            pilot,
            lambda: (
                screen.budget.timer is None
                and not any(w.group == "budget" and not w.is_finished for w in app.workers)
            ),
        )
        await pilot.pause()  # the count posted by the worker is shown
        assert f"prompt {expected:,} " in budget_of(app)
        large = [thread for thread, size in encodes if size >= len(big)]
        assert large and loop_thread not in large
        assert len(large) <= 2  # the paste and the key, not one count per character


async def test_a_short_prompt_is_counted_at_once(fake_server: FakeOpenAI) -> None:
    app = make_app(fake_server, CHATTUI_MODEL="gpt-4o")
    async with app.run_test(size=(160, 30)) as pilot:
        await app.warmed_up.wait()
        await pilot.pause()
        box = app.screen.query_one(PromptInput)
        box.insert("one two three")
        await pilot.pause()  # no worker, no timer: shown with the keystroke
        assert main_screen(app).budget.timer is None
        assert "prompt 3 " in budget_of(app)


async def test_editing_an_earlier_prompt_counts_only_the_history_before_it(
    fake_server: FakeOpenAI,
) -> None:
    """The request of an edit carries the turns before the edited prompt: so does the budget."""
    fake_server.queue(Reply(text="first answer " * 20), Reply(text="second answer " * 20))
    app = make_app(fake_server, CHATTUI_MODEL="gpt-4o")
    async with app.run_test(size=(160, 30)) as pilot:
        await app.warmed_up.wait()
        await send(pilot, "first question")
        await send(pilot, "second question")
        await wait_for(pilot, lambda: "history 0 " not in budget_of(app))
        await pilot.press("alt+up", "up", "up", "up", "alt+e")  # edit the first prompt
        assert main_screen(app).drafts.editing is not None
        await wait_for(pilot, lambda: "history 0 " in budget_of(app))
        await pilot.press("escape")  # out of edit mode: the whole branch again
        await wait_for(pilot, lambda: "history 0 " not in budget_of(app))
