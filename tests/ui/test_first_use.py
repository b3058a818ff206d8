"""Bugs a new user met on a first try (issue 12): each test failed before its fix.

The chat pane alone runs in a tiny app; the rest drives the real app against the fake server.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.core.storage import ConversationStore
from chattui.ui.app import ChatApp
from chattui.ui.screens.dialogs import ConfirmScreen
from chattui.ui.screens.settings import SettingsScreen
from chattui.ui.widgets.chat_log import ChatLog
from tests.apptools import palette_titles
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    MakeApp,
    chat_app,
    chat_log,
    conversations_dir,
    main_screen,
    press_now,
    prompt,
    screen_text,
    send,
    settle,
    sidebar,
    type_prompt,
    wait_for,
)


class LogApp(App[None]):
    """A tiny app with only the chat pane."""

    def compose(self) -> ComposeResult:
        yield ChatLog()


def reply(text: str, status: MessageStatus = MessageStatus.COMPLETE) -> Message:
    return Message(Role.ASSISTANT, text, status=status)


# --------------------------------------------------------------------------- the chat pane


async def test_an_empty_reply_says_so() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([Message(Role.USER, "say nothing"), reply("")])
        await pilot.pause()
        lines = log.rendered_text().splitlines()
        assert lines[lines.index("Assistant") + 1] == "(empty reply)"
        log.set_conversation([reply("", MessageStatus.STOPPED), reply("x")])
        assert "(empty reply)" not in log.rendered_text()  # stopped says "stopped" instead


async def test_single_newlines_in_a_reply_are_kept() -> None:
    text = "".join(f"Line {n:05}: some words\n" for n in range(998, 1001))
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([reply(text)])
        await pilot.pause()
        lines = log.rendered_text().splitlines()
        assert lines[1:4] == [f"Line {n:05}: some words" for n in range(998, 1001)]


# --------------------------------------------------------------------------- the app


def seed(home: Path, title: str, *texts: str) -> Conversation:
    """Save a conversation with ``texts`` as alternate user / assistant turns."""
    conversation = Conversation(title=title)
    for index, text in enumerate(texts):
        conversation.add(Message(Role.USER if index % 2 == 0 else Role.ASSISTANT, text))
    ConversationStore(conversations_dir(home)).save(conversation)
    return conversation


async def test_a_long_cjk_title_fits_one_sidebar_line_from_the_first_frame(
    make_app: MakeApp, home: Path
) -> None:
    for n in range(20):  # enough for a scrollbar, which narrows the list once laid out
        seed(home, f"Question {n}", "q", "a")
    seed(home, "如何在终端里使用聊天客户端并且保存所有的对话记录", "问题", "回答")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        first = next(n for n, line in enumerate(lines) if "如何" in line)
        assert "…" in lines[first]
        assert lines[first + 1].split("▕")[0].strip() == "just now"  # no second title line


async def test_a_long_question_is_shown_whole(make_app: MakeApp) -> None:
    question = (
        "Delete “What is the capital of France and why is it so pretty”? This cannot be undone."
    )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmScreen(question, "Delete"))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        text = " ".join(line.strip(" │") for line in screen_text(app).splitlines())
        assert "pretty”? This cannot be undone." in text


async def test_the_sidebar_highlights_the_conversation_just_started(
    make_app: MakeApp, home: Path
) -> None:
    seed(home, "older", "q", "a")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await send(pilot, "a new question")
        conversation = main_screen(app).conversation
        highlighted = sidebar(app).highlighted_option
        assert highlighted is not None and highlighted.id == conversation.id
        sidebar(app).focus()
        await pilot.press("alt+d")  # acts on the highlighted entry: the new conversation
        await wait_for(pilot, lambda: len(sidebar(app).summaries) == 1)
        assert [summary.title for summary in sidebar(app).summaries] == ["older"]


async def test_the_system_prompt_expands_from_the_keyboard_and_the_palette(
    make_app: MakeApp, home: Path
) -> None:
    app = make_app(env={"CHATTUI_SYSTEM_PROMPT": "Be brief.\nAnswer in French."})
    async with app.run_test(size=(80, 24)) as pilot:
        log = chat_log(app)
        assert "\n  Answer in French." not in log.rendered_text()
        await pilot.press("ctrl+l", "alt+p")
        assert "\n  Answer in French." in log.rendered_text()
        await pilot.press("alt+p")
        assert "\n  Answer in French." not in log.rendered_text()
        commands = palette_titles(app)
        assert "System prompt" in commands


async def test_keys_typed_in_the_conversation_go_to_the_prompt(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+l", "up", "pageup", "home", "end")
        assert chat_log(app).has_focus and prompt(app).text == ""
        await pilot.press("W", "h", "y", "question_mark")
        assert prompt(app).has_focus
        assert prompt(app).text == "Why?"


def status_line(app: ChatApp) -> str:
    """The status line as drawn (the line above the footer)."""
    return screen_text(app).splitlines()[-2]


async def test_the_status_line_fits_the_width_and_follows_resizes(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        main_screen(app).budget.enable()
        await send(pilot, "hello")
        await pilot.pause()
        line = status_line(app)
        assert line.split("▕")[-1].strip().startswith("ready · gpt-4o-mini")
        assert line.rstrip().endswith("of 128,000 left") and "prompt" not in line
        assert "·  " not in line and " · " * 2 not in line  # nothing dropped leaves a "·"
        main_screen(app).panes.status.set_state("waiting for the reply…", "busy")  # a longer state
        await pilot.pause()
        line = status_line(app).split("▕")[-1]
        assert line.strip() == "waiting for the reply… · gpt-4o-mini"  # the budget gives way
        main_screen(app).panes.status.set_state("ready")
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        line = status_line(app)
        assert "prompt 0 + history" in line and "127.0.0.1" in line and "tokens" in line
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "prompt 0" not in status_line(app)
        assert status_line(app).rstrip().endswith("of 128,000 left")


async def test_a_theme_picked_in_the_palette_is_saved_and_kept_by_settings(
    make_app: MakeApp, home: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.save_theme("chattui-light")  # what the palette's theme picker does on Enter
        await wait_for(pilot, lambda: app.theme == "chattui-light")
        config = home / "config" / "config.toml"
        assert 'theme = "chattui-light"' in config.read_text("utf-8")
        await press_now(pilot, "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await press_now(pilot, "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert app.theme == "chattui-light"
        assert 'theme = "chattui-light"' in config.read_text("utf-8")


async def dismiss_problem(pilot: Pilot[None]) -> None:
    """Close the "Open settings" dialog a 401 brings up (Later)."""
    from chattui.ui.screens.dialogs import ProblemScreen

    if isinstance(pilot.app.screen, ProblemScreen):
        await pilot.press("escape")
        await pilot.pause()


async def test_failed_sends_add_no_extra_conversations(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    for _ in range(3):
        fake_server.queue(Reply(status=401))
    app = make_app(env={"CHATTUI_CONTEXT_WINDOW": "4000", "CHATTUI_MODEL": "local-model"})
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "first try")
        await dismiss_problem(pilot)
        await send(pilot, "second try")  # fails again, same conversation
        await dismiss_problem(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await dismiss_problem(pilot)
        await pilot.press("ctrl+n")
        await send(pilot, "too long " * 3000)  # refused before sending
        titles = [summary.title for summary in sidebar(app).summaries]
        assert len(titles) == 2 and titles[1] == "first try"
        assert len(fake_server.chat_requests) == 3
    files = [p for p in conversations_dir(home).glob("*.json") if p.name != "index.json"]
    assert len(files) == 2


# --------------------------------------------------------------------------- following a stream

LONG_REPLY = "".join(f"Paragraph {n}: " + "words of a long reply " * 6 + "\n\n" for n in range(60))
"""About 10,000 characters: streamed in 24-character chunks, it lasts a second or two."""


async def start_long_reply(pilot: Pilot[None], fake_server: FakeOpenAI) -> ChatLog:
    """Send a prompt whose reply streams for a while; return once it fills a few screens."""
    fake_server.queue(Reply(text=LONG_REPLY, chunk_size=24, delay=0.004))
    await send(pilot, "write a lot", wait=False)
    log = chat_log(chat_app(pilot))
    await wait_for(pilot, lambda: log.max_scroll_y > 40)
    assert log.is_following
    return log


async def test_keyboard_scrolling_stops_following_the_stream(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        log = await start_long_reply(pilot, fake_server)
        await press_now(pilot, "ctrl+l")
        for key in ("up", "pageup", "home"):
            await press_now(pilot, key)
            grown = log.max_scroll_y + 5
            await wait_for(pilot, lambda: log.max_scroll_y > grown)  # noqa: B023 - goes on
            assert not log.is_following, key
            assert log.scroll_target_y < log.max_scroll_y - 5, key
            if key != "home":
                await press_now(pilot, "end")
                await wait_for(pilot, lambda: log.is_following)
        await settle(pilot)  # the reply has finished
        assert "Paragraph 59" in log.rendered_text()
        # Home went all the way up (its animation may still be ending) and stayed there.
        await wait_for(pilot, lambda: log.scroll_y == 0)
        assert not log.is_following
        await pilot.press("end")
        assert log.is_following and log.scroll_y == log.max_scroll_y


async def test_resizes_during_a_stream_keep_the_end_in_view(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        log = await start_long_reply(pilot, fake_server)
        width = log.scrollable_content_region.width
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: log.scrollable_content_region.width < width)
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert "Paragraph 59" in log.rendered_text()
        assert log.is_following and log.scroll_y == log.max_scroll_y


async def test_newlines_typed_fast_stay_where_they_were_typed(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in [*"one", "ctrl+j", *"two", "ctrl+j", *"three"]:  # no wait between keys
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app.post_message(event)
        await wait_for(pilot, lambda: "three" in prompt(app).text)
        await pilot.pause()
        assert prompt(app).text == "one\ntwo\nthree"


async def test_expanding_the_system_prompt_while_scrolling_home_lands_on_it() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(ChatLog)
        log.set_conversation([reply("line\n" * 80)], system_prompt="Be brief.\n" * 5)
        await pilot.pause()
        log.focus()
        await press_now(pilot, "home")  # animated: still on its way up
        assert log.scroll_y > 0
        log.toggle_system_prompt()
        await wait_for(pilot, lambda: log.scroll_y == log.scroll_target_y)
        assert log.scroll_y == 0


async def test_keys_typed_fast_after_enter_stay_in_the_prompt(
    make_app: MakeApp, fake_server: FakeOpenAI
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in [*"one", "enter", *"two"]:  # no wait between keys
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app.post_message(event)
        await settle(pilot)
        assert [r.json["messages"][-1]["content"] for r in fake_server.chat_requests] == ["one"]
        assert prompt(app).text == "two"


async def test_a_prompt_that_cannot_be_sent_stays_in_the_prompt(make_app: MakeApp) -> None:
    app = make_app(key=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")  # the welcome
        await type_prompt(pilot, "keep me")
        await press_now(pilot, "enter")  # no key: the settings open instead
        await wait_for(
            pilot, lambda: isinstance(app.screen, SettingsScreen) and app.screen.query("#api_key")
        )
        await pilot.pause()
        assert prompt(app).text == "keep me"
