"""The main screen end to end against the fake server: send and stream, paste, stop, every
error kind and retry, switching conversations mid-stream, rename / delete, first run,
persistence across restarts, help, the command palette and a narrow terminal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.message import Message
from textual.widgets import Input

from chattui.ui.app import ChatApp
from chattui.ui.main.screen import MainScreen
from chattui.ui.screens.dialogs import ProblemScreen, TextInputScreen
from chattui.ui.screens.help import HelpScreen
from chattui.ui.screens.settings import SettingsScreen
from chattui.ui.screens.welcome import WelcomeScreen
from chattui.ui.widgets.prompt import PromptInput
from tests.fakeserver import DEMO_MARKDOWN, FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    TEST_KEY,
    MakeApp,
    chat_log,
    conversations_dir,
    main_screen,
    only_conversation,
    press_now,
    prompt,
    roles_and_text,
    saved_conversations,
    screen_text,
    send,
    settle,
    sidebar,
    status_text,
    type_prompt,
    wait_for,
)


def assistant_text(app: ChatApp) -> str:
    """The reply streaming on screen, as saved in memory."""
    messages = main_screen(app).conversation.messages
    return messages[-1].content if messages and messages[-1].role.value == "assistant" else ""


# --------------------------------------------------------------------------- sending


async def test_send_streams_reply_saves_and_titles(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    posted: list[Message] = []
    fake_server.queue(Reply(text="Hello **world**, a streamed reply.", chunk_size=3))
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await send(pilot, "What is a streamed reply?")

        assert "Hello world, a streamed reply." in chat_log(app).rendered_text()
        assert "What is a streamed reply?" in chat_log(app).rendered_text()
        assert prompt(app).text == ""
        assert [s.title for s in sidebar(app).summaries] == ["What is a streamed reply?"]
        assert "What is a streamed reply?" in screen_text(app)
        assert "ready" in status_text(app)
        # The hook sees a message once per node it bubbles through: count distinct ones.
        submitted = {id(m): m for m in posted if isinstance(m, PromptInput.Submitted)}
        assert [m.text for m in submitted.values()] == ["What is a streamed reply?"]

        await pilot.press("ctrl+r")  # the reply is complete: nothing to retry
        await settle(pilot)
        assert len(fake_server.chat_requests) == 1

    saved = only_conversation(home)
    assert saved["title"] == "What is a streamed reply?"
    assert roles_and_text(saved) == [
        ("user", "complete", "What is a streamed reply?"),
        ("assistant", "complete", "Hello **world**, a streamed reply."),
    ]
    assert saved["messages"][1]["usage"]["completion_tokens"] > 0
    request = fake_server.chat_requests[-1]
    assert request.last_user_text == "What is a streamed reply?"
    assert request.headers["authorization"] == f"Bearer {TEST_KEY}"


async def test_chinese_prompt_and_reply_round_trip(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    question = "你好，世界！请用中文解释一下什么是流式输出？"
    answer = "流式输出就是**边生成边显示**：服务器把回复分成很多小块，一块一块地发过来。完。"
    fake_server.queue(Reply(text=answer, chunk_size=2))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, question)
        text = chat_log(app).rendered_text()
        assert question in text
        assert "边生成边显示" in text and "一块一块地发过来。完。" in text
        assert [s.title for s in sidebar(app).summaries] == [question]

    assert fake_server.chat_requests[-1].last_user_text == question
    saved = only_conversation(home)
    assert roles_and_text(saved) == [
        ("user", "complete", question),
        ("assistant", "complete", answer),
    ]
    raw = next(p for p in conversations_dir(home).glob("*.json") if p.name != "index.json")
    assert question in raw.read_text("utf-8")  # stored as UTF-8, not \\u escapes


async def test_paste_inserts_whole_text_without_sending_and_ctrl_j_adds_newline(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    posted: list[Message] = []
    pasted = "first line\nsecond line\n\n    indented line 第三行\n" + "\n".join(
        f"line {i}" for i in range(500)
    )
    fake_server.queue(Reply(text="Got it."))
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        await type_prompt(pilot, pasted)
        await settle(pilot)

        assert prompt(app).text == pasted
        assert not any(isinstance(m, PromptInput.Submitted) for m in posted)
        assert fake_server.chat_requests == []
        assert saved_conversations(home) == []

        prompt(app).clear()
        await type_prompt(pilot, "  \n   ")
        await pilot.press("enter")  # blank: nothing is sent
        await settle(pilot)
        assert not any(isinstance(m, PromptInput.Submitted) for m in posted)

        prompt(app).clear()
        await pilot.press("a", "ctrl+j", "b")
        assert prompt(app).text == "a\nb"
        assert fake_server.chat_requests == []

        await pilot.press("enter")
        await settle(pilot)
        assert fake_server.chat_requests[-1].last_user_text == "a\nb"
        assert prompt(app).text == ""


async def test_escape_stops_a_streaming_reply_and_keeps_the_partial_text(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    full = " ".join(f"word{i}" for i in range(300))  # ~7 s at this pace: Esc comes first
    fake_server.queue(Reply(text=full, chunk_size=6, delay=0.02))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Tell me a long story", wait=False)
        await wait_for(pilot, lambda: "word5 " in assistant_text(app))

        # Enter while the reply streams queues the prompt; the first Esc cancels it (the
        # text comes back), the second stops the reply.
        await type_prompt(pilot, "a second question")
        await press_now(pilot, "enter")
        assert prompt(app).text == ""
        assert "Queued: a second question" in chat_log(app).rendered_text()
        await press_now(pilot, "escape")
        await wait_for(pilot, lambda: prompt(app).text == "a second question")
        assert "Queued" not in chat_log(app).rendered_text()
        assert len(fake_server.chat_requests) == 1

        await press_now(pilot, "escape")
        await settle(pilot)
        text = chat_log(app).rendered_text()
        assert "■ stopped" in text
        assert "word0 word1" in text
        assert "stopped" in status_text(app)
        request = fake_server.chat_requests[0]
        await wait_for(pilot, request.finished.is_set)
        assert request.outcome == "client_disconnected"

        saved = only_conversation(home)
        (user, reply) = saved["messages"]
        assert (user["role"], user["content"]) == ("user", "Tell me a long story")
        assert reply["status"] == "stopped"
        assert reply["content"].startswith("word0 word1 word2")
        assert full.startswith(reply["content"]) and len(reply["content"]) < len(full)

        # Ctrl+R asks again: the stopped reply is replaced.
        fake_server.queue(Reply(text="A short story instead."))
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = chat_log(app).rendered_text()
        assert "■ stopped" not in text and "word0" not in text
        assert "A short story instead." in text
        assert prompt(app).text == "a second question"

    assert roles_and_text(only_conversation(home)) == [
        ("user", "complete", "Tell me a long story"),
        ("assistant", "complete", "A short story instead."),
    ]
    assert fake_server.chat_requests[-1].messages == [
        {"role": "user", "content": "Tell me a long story"}
    ]


# --------------------------------------------------------------------------- errors


ERRORS = [
    pytest.param(Reply(status=401), "The API key was rejected (401)", {}, id="401"),
    pytest.param(Reply(status=404), "Not found (404)", {}, id="404"),
    pytest.param(Reply(status=429), "Rate limited (429)", {}, id="429"),
    pytest.param(Reply(status=500), "The server had an error (500)", {}, id="500"),
    pytest.param(
        Reply(text="A reply that the server cuts short.", fault="cut"),
        "The connection was cut before the reply was finished",
        {},
        id="cut",
    ),
    pytest.param(
        Reply(text="No finish reason.", fault="no_finish"),
        "The reply ended without the server saying it was finished",
        {},
        id="no_finish",
    ),
    pytest.param(Reply(fault="html"), "instead of a stream of events", {}, id="html"),
    pytest.param(
        Reply(fault="hang"), "did not answer for a while", {"CHATTUI_TIMEOUT": "1"}, id="timeout"
    ),
]


@pytest.mark.parametrize(("reply", "message", "env"), ERRORS)
async def test_error_shows_inline_and_ctrl_r_retries(
    make_app: MakeApp,
    fake_server: FakeOpenAI,
    home: Path,
    reply: Reply,
    message: str,
    env: dict[str, str],
) -> None:
    fake_server.queue(reply)
    app = make_app(env=env)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Please answer 请回答")
        if isinstance(app.screen, ProblemScreen):  # a key or model problem offers the settings
            assert reply.status in (401, 404)
            await pilot.press("escape")

        text = chat_log(app).rendered_text()
        flat = " ".join(text.split())
        assert "⚠ " in text and message in flat
        assert "Ctrl+R retry" in flat
        assert "error" in status_text(app)
        assert isinstance(app.screen, MainScreen)
        saved = only_conversation(home)
        assert saved["messages"][0]["content"] == "Please answer 请回答"
        assert saved["messages"][-1]["status"] == "error"
        assert message in saved["messages"][-1]["error"]

        fake_server.queue(Reply(text="Recovered answer, 恢复了。"))
        await pilot.press("ctrl+r")
        await settle(pilot)

        text = chat_log(app).rendered_text()
        assert "⚠" not in text and message not in " ".join(text.split())
        assert "Recovered answer, 恢复了。" in text
        assert text.count("Please answer 请回答") == 1
        assert "ready" in status_text(app)

    saved = only_conversation(home)
    assert roles_and_text(saved) == [
        ("user", "complete", "Please answer 请回答"),
        ("assistant", "complete", "Recovered answer, 恢复了。"),
    ]
    retried = fake_server.chat_requests[-1]
    assert retried.messages == [{"role": "user", "content": "Please answer 请回答"}]


# --------------------------------------------------------------------------- conversations


async def test_switching_conversations_mid_stream_keeps_replies_apart(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    alpha = " ".join(f"alpha{i}" for i in range(150))  # ~3.5 s of streaming
    fake_server.queue(Reply(text=alpha, chunk_size=7, delay=0.02), Reply(text="Bravo answer only."))
    app = make_app()
    seen_in_b: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Conversation A", wait=False)
        await wait_for(pilot, lambda: "alpha2" in assistant_text(app))
        screen = app.main_screen
        assert screen is not None
        conversation_a = screen.conversation

        await press_now(pilot, "ctrl+n")
        await wait_for(pilot, lambda: screen.conversation is not conversation_a)
        assert "alpha" not in chat_log(app).rendered_text()
        await send(pilot, "Conversation B", wait=False)
        assert conversation_a.messages[-1].status.value == "streaming"  # A is still going

        def a_done() -> bool:
            seen_in_b.append(chat_log(app).rendered_text())
            return conversation_a.messages[-1].status.value != "streaming"

        await wait_for(pilot, a_done)
        await settle(pilot)
        seen_in_b.append(chat_log(app).rendered_text())
        assert all("alpha" not in text for text in seen_in_b)
        assert "Bravo answer only." in seen_in_b[-1]
        assert sorted(s.title for s in sidebar(app).summaries) == [
            "Conversation A",
            "Conversation B",
        ]

        # Back to A: its complete reply is there.
        screen.conversations.open(conversation_a.id)
        await pilot.pause()
        assert alpha in " ".join(chat_log(app).rendered_text().split())

    saved = {c["title"]: roles_and_text(c) for c in saved_conversations(home)}
    assert saved == {
        "Conversation A": [
            ("user", "complete", "Conversation A"),
            ("assistant", "complete", alpha),
        ],
        "Conversation B": [
            ("user", "complete", "Conversation B"),
            ("assistant", "complete", "Bravo answer only."),
        ],
    }


async def test_new_rename_and_delete(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="One."), Reply(text="Two."))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first chat")
        await pilot.press("ctrl+n")
        assert chat_log(app).rendered_text().strip() == ""
        await pilot.press("ctrl+n")  # an empty conversation is not saved or listed
        await send(pilot, "second chat")
        assert len(saved_conversations(home)) == 2
        bar = sidebar(app)
        assert [s.title for s in bar.summaries] == ["second chat", "first chat"]

        # Rename "first chat" with Alt+R.
        bar.focus()
        bar.highlighted = 1
        await pilot.press("alt+r")
        await pilot.pause()
        assert isinstance(app.screen, TextInputScreen)
        field = app.screen.query_one("#value", Input)
        assert field.value == "first chat"
        field.value = "Renamed 改名"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        titles = {c["title"] for c in saved_conversations(home)}
        assert titles == {"Renamed 改名", "second chat"}
        assert "Renamed 改名" in [s.title for s in bar.summaries]

        # Delete it: it leaves the list at once, but its file stays until the undo expires;
        # u brings it back.
        bar.focus()
        bar.highlighted = [s.title for s in bar.summaries].index("Renamed 改名")
        await pilot.press("alt+d")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert [s.title for s in bar.summaries] == ["second chat"]
        assert len(saved_conversations(home)) == 2
        await pilot.press("alt+u")
        await pilot.pause()
        assert sorted(s.title for s in bar.summaries) == ["Renamed 改名", "second chat"]

        bar.highlighted = [s.title for s in bar.shown].index("Renamed 改名")
        await pilot.press("alt+d")
        await pilot.pause()
        # what the undo notice's timer does when it expires:
        main_screen(app).conversations.delete_pending()
        await settle(pilot)
        assert [c["title"] for c in saved_conversations(home)] == ["second chat"]
        assert [s.title for s in bar.summaries] == ["second chat"]

        # Deleting the conversation on screen leaves an empty new one.
        bar.highlighted = 0
        await pilot.press("alt+d")
        await pilot.pause()
        assert chat_log(app).rendered_text().strip() == ""
        main_screen(app).conversations.delete_pending()
        await settle(pilot)
        assert saved_conversations(home) == []
        assert bar.summaries == []


async def test_rename_and_delete_while_the_reply_streams(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    full = " ".join(f"token{i}" for i in range(300))
    fake_server.queue(Reply(text=full, chunk_size=6, delay=0.02))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "streaming chat", wait=False)
        await wait_for(pilot, lambda: "token3 " in assistant_text(app))
        bar = sidebar(app)
        bar.focus()
        bar.highlighted = 0

        await press_now(pilot, "alt+r")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TextInputScreen) and app.screen.query("#value"),
        )
        app.screen.query_one("#value", Input).value = "renamed live"
        await press_now(pilot, "enter")
        await wait_for(pilot, lambda: [s.title for s in bar.summaries] == ["renamed live"])
        await wait_for(pilot, lambda: "token9 " in assistant_text(app))  # later saves...
        assert await asyncio.to_thread(app.services.engine.session.saver.flush, 30)
        assert only_conversation(home)["title"] == "renamed live"  # ...keep the new title

        bar.focus()
        await press_now(pilot, "alt+d")
        await wait_for(pilot, lambda: bar.summaries == [])
        main_screen(app).conversations.delete_pending()  # the undo expired
        await settle(pilot)
        # The reply was stopped and its last save did not bring the file back.
        assert saved_conversations(home) == []
        assert bar.summaries == []
        assert "token0" not in chat_log(app).rendered_text()
    assert saved_conversations(home) == []


async def test_conversations_persist_across_restarts(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text=DEMO_MARKDOWN))
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await send(pilot, "Show me the demo")

    second = make_app()
    async with second.run_test(size=SIZE) as pilot:
        bar = sidebar(second)
        assert [s.title for s in bar.summaries] == ["Show me the demo"]
        assert "Show me the demo" in screen_text(second)
        assert chat_log(second).rendered_text().strip() == ""  # a new conversation on screen
        bar.focus()
        bar.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        text = chat_log(second).rendered_text()
        assert "Show me the demo" in text
        assert "A quick tour" in text and "def fib(n: int) -> int:" in text
        assert "这是一段中文文本" in text
        assert prompt(second).has_focus
    assert len(saved_conversations(home)) == 1


# --------------------------------------------------------------------------- first run


async def test_first_run_without_key_shows_welcome_then_settings(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app(key=None, connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        assert "Welcome to chattui" in screen_text(app)
        await pilot.click("#settings")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)


async def test_first_run_later_then_sending_opens_settings(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    app = make_app(key=None, connect=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "no API key" in status_text(app)
        await send(pilot, "hello?")
        assert isinstance(app.screen, SettingsScreen)
    assert fake_server.chat_requests == []
    assert saved_conversations(home) == []


async def test_first_send_before_warm_up_has_built_the_client(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    """A send right after start-up must not fail with "No API key" while warm-up runs."""
    fake_server.queue(Reply(text="Fast enough."))
    app = make_app(connect=False, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "quick question")
        assert "Fast enough." in chat_log(app).rendered_text()
    assert only_conversation(home)["messages"][-1]["status"] == "complete"


# --------------------------------------------------------------------------- help, palette


async def test_no_welcome_with_a_key_help_and_palette(make_app: MakeApp) -> None:
    app = make_app(connect=False)
    async with app.run_test(size=(120, 80)) as pilot:  # tall enough for the whole help
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert not any(isinstance(s, WelcomeScreen) for s in app.screen_stack)
        assert prompt(app).has_focus

        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for words in (
            "Send the prompt",
            "Ctrl+J / Shift+Enter",
            "Stop the reply / cancel a queued prompt",
            "Retry the last failed or stopped reply",
            "Ctrl+N",
            "Rename it",
            "Delete it (Alt+U undoes it",
            "F2",
            "Command palette",
        ):
            assert words in text, words
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

        await pilot.press("ctrl+p")
        assert any(isinstance(s, CommandPalette) for s in app.screen_stack)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert prompt(app).has_focus


# --------------------------------------------------------------------------- layout


async def test_narrow_terminal_80x24(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text=DEMO_MARKDOWN, chunk_size=20))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "narrow 窄屏")
        text = chat_log(app).rendered_text()
        assert "def fib(n: int) -> int:" in text and "That's all. 完。" in text
        lines = screen_text(app).splitlines()
        assert len(lines) == 24
        assert "ready" in status_text(app)
        await pilot.press("ctrl+b")  # the sidebar can be hidden and shown again
        await pilot.pause()
        assert main_screen(app).panes.side.has_class("-hidden")
        await pilot.press("ctrl+b")
        await pilot.pause()
    assert only_conversation(home)["messages"][-1]["content"] == DEMO_MARKDOWN


async def test_the_footer_shows_the_keys_from_the_start(make_app: MakeApp) -> None:
    from chattui.ui.widgets.key_footer import KeyFooter

    app = make_app()
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(KeyFooter)))
        footer = app.screen.query_one(KeyFooter)
        await wait_for(pilot, lambda: "Send" in screen_text(app).splitlines()[-1])
        assert app.screen.focused is prompt(app)  # no focus change was needed
        descriptions = [binding.description for _node, binding, _key in footer.shown()]
        assert "New" in descriptions and "Quit" in descriptions
        assert descriptions[:4] == ["Stop", "Send", "Help", "Next pane"]


async def test_the_first_frame_has_every_widget_of_the_screen(make_app: MakeApp) -> None:
    """Nothing but the footer is mounted or replaced on the main screen after its first frame
    (each change drew the whole screen again): the footer (one line) comes right after it
    (in it, it cost the first frame ~10% more CPU, and the screen was stable no sooner), and
    the filter box stays a line until it is needed."""
    from textual import events

    from chattui.ui.widgets.side_panel import FilterInput

    at_first_frame: list[list[str]] = []

    def hook(message: Message) -> None:
        if isinstance(message, events.Ready):
            widgets = main_screen(app).walk_children(with_self=False)
            at_first_frame.append(sorted(type(widget).__name__ for widget in widgets))

    app = make_app(warm_up=True)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await app.warmed_up.wait()
        await app.workers.wait_for_complete()
        await pilot.pause()
        widgets = main_screen(app).walk_children(with_self=False)
        final = sorted(type(widget).__name__ for widget in widgets)
        assert at_first_frame == [[name for name in final if name != "KeyFooter"]]
        assert "KeyFooter" in final and "FilterInput" not in at_first_frame[0]

        main_screen(app).query_one("#sidebar-filter-stub").focus()  # Tab or a click reach it
        await wait_for(pilot, lambda: isinstance(app.focused, FilterInput))
        assert not main_screen(app).query("#sidebar-filter-stub")
