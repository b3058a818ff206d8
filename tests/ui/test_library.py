"""The library in the running app: the sidebar's filter, order, pin, archive and undoable
delete; the details dialog (F3) and the model a conversation uses; automatic titles."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select

from chattui.core.models import Conversation, Message, Role
from chattui.core.services import Services
from chattui.core.storage import ConversationStore
from chattui.ui.app import ChatApp
from chattui.ui.main import conversations
from chattui.ui.main.screen import MainScreen
from chattui.ui.screens.details import DetailsScreen
from chattui.ui.screens.dialogs import TextInputScreen
from chattui.ui.screens.settings import SettingsScreen
from chattui.ui.widgets.safe_text import SafeTextArea
from tests.apptools import app_environ
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import (
    SIZE,
    MakeApp,
    chat_log,
    conversations_dir,
    main_screen,
    notices,
    only_conversation,
    saved_conversations,
    screen_text,
    send,
    settle,
    sidebar,
    status_text,
    wait_for,
)

TITLES_ON = {"CHATTUI_AUTO_TITLE": "true"}


def seed(home: Path, *titles: str) -> list[Conversation]:
    """Save conversations with one turn each, the first title the oldest."""
    store = ConversationStore(conversations_dir(home))
    store.prepare()
    made = []
    for number, title in enumerate(titles):
        conversation = Conversation(title=title, model="gpt-4o", updated=1000.0 + number)
        conversation.messages.append(Message(Role.USER, title))
        store.save(conversation)
        made.append(conversation)
    store.flush_index()
    return made


def listed(app: ChatApp) -> list[str]:
    return [s.title for s in sidebar(app).shown]


async def test_a_big_library_is_listed_in_a_thread_after_the_first_frame(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(home, "Proxy setup", "代理设置", "Shopping list")
    monkeypatch.setattr(ConversationStore, "BIG_INDEX", 10)  # this index counts as big
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert main_screen(app).services.index_is_big()
        await settle(pilot)  # the listing worker
        assert listed(app) == ["Shopping list", "代理设置", "Proxy setup"]
        await send(pilot, "made after the list")
        assert listed(app)[0] == "made after the list"


async def test_a_big_library_without_its_index_is_listed_after_the_first_frame(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copied or synced folder has no index.json: listing reads every file, so it must not
    delay the first frame (10,000 files: 9-11 s of blank screen)."""
    seed(home, "Proxy setup", "代理设置", "Shopping list")
    (conversations_dir(home) / "index.json").unlink()
    monkeypatch.setattr(ConversationStore, "BIG_LIBRARY", 2)  # three files count as many
    at_first_frame: list[list[str]] = []
    app = make_app()

    def hook(message: object) -> None:
        if isinstance(message, events.Ready):
            at_first_frame.append(listed(app))

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await wait_for(pilot, lambda: bool(at_first_frame))
        assert at_first_frame == [[]]  # nothing read before the first frame
        await settle(pilot)  # the listing worker
        assert listed(app) == ["Shopping list", "代理设置", "Proxy setup"]
        assert (conversations_dir(home) / "index.json").exists()


async def test_conversations_written_by_another_process_reach_the_sidebar(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chattui import` or a second instance writes while the app runs: the sidebar shows
    the new conversation and the new title without a restart."""
    (kept,) = seed(home, "Proxy setup")
    monkeypatch.setattr(conversations, "LIBRARY_CHECK_SECONDS", 0.05)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert listed(app) == ["Proxy setup"]
        other = ConversationStore(conversations_dir(home))  # another process's store
        imported = Conversation(title="Imported elsewhere", updated=2000.0)
        imported.messages.append(Message(Role.USER, "hello"))
        other.save(imported)
        await wait_for(pilot, lambda: listed(app) == ["Imported elsewhere", "Proxy setup"])
        other.rename(kept.id, "Renamed elsewhere")
        await wait_for(pilot, lambda: "Renamed elsewhere" in listed(app))


async def test_filter_pin_archive_and_undo_delete(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    seed(home, "Proxy setup", "代理设置", "Shopping list")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert listed(app) == ["Shopping list", "代理设置", "Proxy setup"]

        # Typing in the sidebar's filter box filters by title; Esc clears it.
        await pilot.press("ctrl+p")  # the palette entry focuses the filter box
        await pilot.pause()
        await pilot.press(*"filter conv", "enter")
        await pilot.pause()
        box = app.screen.query_one("#sidebar-filter", Input)
        assert box.has_focus
        await pilot.press(*"prox")
        assert listed(app) == ["Proxy setup"]
        box.value = "代理"
        await pilot.pause()
        assert listed(app) == ["代理设置"]
        await pilot.press("escape")
        assert listed(app) == ["Shopping list", "代理设置", "Proxy setup"]

        # Alt+P pins the highlighted entry: listed first, and saved so.
        await pilot.press("escape")  # empty filter: Esc goes to the list
        bar = sidebar(app)
        assert bar.has_focus
        bar.highlighted = 2
        await pilot.press("alt+p")
        await pilot.pause()
        assert listed(app) == ["Proxy setup", "Shopping list", "代理设置"]
        assert "pinned" in screen_text(app)
        assert {c["title"]: c["pinned"] for c in saved_conversations(home)}["Proxy setup"]

        # Alt+A archives: hidden until Alt+Shift+A lists archived conversations (last).
        bar.highlighted = 1
        await pilot.press("alt+a")
        await pilot.pause()
        assert listed(app) == ["Proxy setup", "代理设置"]
        await pilot.press("alt+shift+a")
        await pilot.pause()
        assert listed(app) == ["Proxy setup", "代理设置", "Shopping list"]
        bar.highlighted = 2
        await pilot.press("alt+a")  # unarchive
        await pilot.press("alt+shift+a")
        await pilot.pause()
        assert listed(app) == ["Proxy setup", "Shopping list", "代理设置"]
        assert not any(c["archived"] for c in saved_conversations(home))

        # Delete: gone from the list at once, the file kept until the undo expires.
        bar.highlighted = 1
        await pilot.press("alt+d")
        await pilot.pause()
        assert listed(app) == ["Proxy setup", "代理设置"]
        assert any("Alt+U undoes it" in n for n in notices(app))
        assert len(saved_conversations(home)) == 3
        await pilot.press("alt+u")
        await pilot.pause()
        assert listed(app) == ["Proxy setup", "Shopping list", "代理设置"]
        bar.highlighted = 1
        await pilot.press("alt+d")
        await pilot.pause()
    # Quitting carries out the delete whose undo had not expired yet.
    assert sorted(c["title"] for c in saved_conversations(home)) == ["Proxy setup", "代理设置"]


async def test_deleting_while_a_reply_streams_then_undo_loses_nothing(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    full = " ".join(f"word{i}" for i in range(100))
    fake_server.queue(Reply(text=full, chunk_size=8, delay=0.01))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "long one", wait=False)
        await wait_for(pilot, lambda: "word3 " in chat_log(app).rendered_text())
        main_screen(app).conversations.delete()
        await pilot.pause()
        assert listed(app) == []
        assert chat_log(app).rendered_text().strip() == ""  # a new conversation on screen
        main_screen(app).action_undo_delete()
        await settle(pilot)
        assert listed(app) == ["long one"]
        assert "word99" in chat_log(app).rendered_text()
    saved = only_conversation(home)
    assert saved["messages"][-1]["content"] == full
    assert saved["messages"][-1]["status"] == "complete"


async def open_details(pilot: Pilot[None], app: ChatApp) -> DetailsScreen:
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, DetailsScreen))
    screen = app.screen
    assert isinstance(screen, DetailsScreen)
    return screen


async def test_details_dialog_sets_model_and_parameters_of_this_conversation(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        assert fake_server.chat_requests[-1].json["model"] == "gpt-4o-mini"

        dialog = await open_details(pilot, app)
        await settle(pilot)  # the endpoint's models are listed
        picker = dialog.query_one("#model-pick", Select)
        labels = [str(prompt) for prompt, _value in picker._options]
        assert "o3-mini  ·  200,000 tokens" in labels
        picker.value = "o3-mini"
        await pilot.pause()
        assert dialog.query_one("#model", Input).value == "o3-mini"
        assert "context window 200,000 tokens" in screen_text(app)
        dialog.query_one("#temperature", Input).value = "9"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # a bad value keeps the dialog open, and says why
        assert "between 0 and 2" in screen_text(app)
        dialog.query_one("#model", Input).value = "gpt-4.1"
        dialog.query_one("#temperature", Input).value = "0.2"
        dialog.query_one("#max_tokens", Input).value = "120"
        dialog.query_one("#system_prompt", SafeTextArea).text = "Answer in French."
        dialog.query_one("#title", Input).value = "Mon titre"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "gpt-4.1" in status_text(app)

        await send(pilot, "again")
        body = fake_server.chat_requests[-1].json
        assert (body["model"], body["temperature"]) == ("gpt-4.1", 0.2)
        assert body.get("max_completion_tokens", body.get("max_tokens")) == 120
        assert body["messages"][0] == {"role": "system", "content": "Answer in French."}
        text = chat_log(app).rendered_text()
        assert "gpt-4o-mini" in text and "gpt-4.1" in text  # each reply shows its model
    saved = only_conversation(home)
    assert saved["title"] == "Mon titre" and saved["title_source"] == "manual"
    assert saved["model"] == "gpt-4.1"
    assert saved["params"] == {"temperature": 0.2, "max_tokens": 120}
    assert [m["model"] for m in saved["messages"] if m["role"] == "assistant"] == [
        "gpt-4o-mini",
        "gpt-4.1",
    ]


async def test_a_model_saved_in_settings_applies_to_the_open_conversation(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    (conversation,) = seed(home, "old chat")  # saved with model gpt-4o
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        main_screen(app).conversations.open(conversation.id)
        await pilot.pause()
        assert "gpt-4o" in status_text(app)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        app.screen.query_one("#model", Input).value = "o3-mini"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: "o3-mini" in status_text(app))  # after the callback
        await send(pilot, "next turn")
        assert fake_server.chat_requests[-1].json["model"] == "o3-mini"
    assert only_conversation(home)["model"] is None  # it follows the default from now on


async def test_command_line_model_applies_until_one_is_picked(
    fake_server: FakeOpenAI, home: Path
) -> None:
    (conversation,) = seed(home, "old chat")
    environ = app_environ(fake_server.base_url)
    services = Services.load({"model": "gpt-4.1"}, environ=environ)
    services.connect()
    app = ChatApp(services, warm_up=False)
    async with app.run_test(size=SIZE) as pilot:
        main_screen(app).conversations.open(conversation.id)
        await send(pilot, "with the command line's model")
        assert fake_server.chat_requests[-1].json["model"] == "gpt-4.1"
        dialog = await open_details(pilot, app)
        dialog.query_one("#model", Input).value = "gpt-4o"
        await pilot.press("ctrl+s")
        await settle(pilot)
        main_screen(app).action_new_conversation()
        main_screen(app).conversations.open(conversation.id)  # read back from the file
        await send(pilot, "with the picked model")
        assert fake_server.chat_requests[-1].json["model"] == "gpt-4o"


async def test_auto_title_after_the_first_reply(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="SOCKS5 走 socks5:// 地址。"), Reply(text="“代理设置指南。”"))
    app = make_app(env={**TITLES_ON, "CHATTUI_TITLE_MODEL": "gpt-4o"})
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "怎么设置代理？")
        await settle(pilot)
        assert listed(app) == ["代理设置指南"]
        await send(pilot, "second turn")  # no title request after later replies
        await settle(pilot)
    title_request = fake_server.chat_requests[1]
    assert title_request.json["model"] == "gpt-4o"
    assert "怎么设置代理？" in title_request.messages[1]["content"]
    assert len(fake_server.chat_requests) == 3
    saved = only_conversation(home)
    assert (saved["title"], saved["title_source"]) == ("代理设置指南", "auto")


async def test_auto_title_failing_or_off_keeps_the_first_prompt(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="Answer."), Reply(status=500))
    app = make_app(env=TITLES_ON)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first prompt")
        await settle(pilot)
        assert listed(app) == ["first prompt"]
        assert "error" not in status_text(app)
    assert len(fake_server.chat_requests) == 2
    assert only_conversation(home)["title"] == "first prompt"

    fake_server.reset()
    app = make_app()  # auto_title = false
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "another")
        await settle(pilot)
    assert len(fake_server.chat_requests) == 1


async def test_a_manual_rename_wins_over_the_title_that_arrives_later(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    fake_server.queue(Reply(text="Answer."), Reply(text="Model title", headers_delay=0.5))
    app = make_app(env=TITLES_ON)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first prompt", wait=False)
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 2)  # title asked
        bar = sidebar(app)
        bar.focus()
        bar.highlighted = 0
        await pilot.press("alt+r")
        await wait_for(pilot, lambda: isinstance(app.screen, TextInputScreen))
        app.screen.query_one("#value", Input).value = "My own"
        await pilot.press("enter")
        await settle(pilot)  # the title's answer has come meanwhile
        assert fake_server.chat_requests[1].outcome == "complete"
        assert listed(app) == ["My own"]
    saved = only_conversation(home)
    assert (saved["title"], saved["title_source"]) == ("My own", "manual")


async def test_undo_delete_highlights_the_restored_conversation(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path
) -> None:
    """After Alt+U the highlight is on the conversation brought back, so a second Alt+D
    deletes that one again, not the top entry; a delete highlights the entry below."""
    seed(home, "Oldest", "Middle", "Newest")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert listed(app) == ["Newest", "Middle", "Oldest"]
        bar = sidebar(app)
        bar.focus()
        bar.highlighted = 1
        await pilot.press("alt+d")
        await pilot.pause()
        assert listed(app) == ["Newest", "Oldest"]
        assert bar.highlighted_option is not None and bar.highlighted_option.id is not None
        assert bar.shown[bar.highlighted or 0].title == "Oldest"  # took the deleted one's place
        await pilot.press("alt+u")
        await pilot.pause()
        assert listed(app) == ["Newest", "Middle", "Oldest"]
        assert bar.shown[bar.highlighted or 0].title == "Middle"
        await pilot.press("alt+d")
        await pilot.pause()
        assert listed(app) == ["Newest", "Oldest"]


@pytest.mark.parametrize("pane", ["prompt", "log", "sidebar"])
async def test_alt_f_focuses_the_filter_box_from_every_pane(
    make_app: MakeApp, fake_server: FakeOpenAI, home: Path, pane: str
) -> None:
    seed(home, "Proxy setup", "Shopping list")
    fake_server.queue(Reply(text="an answer"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "a question")
        main = main_screen(app)
        {"prompt": main.panes.prompt, "log": chat_log(app), "sidebar": sidebar(app)}[pane].focus()
        await pilot.pause()
        await pilot.press("alt+f")
        await pilot.pause()
        box = app.screen.query_one("#sidebar-filter", Input)
        assert box.has_focus
        await pilot.press(*"prox")
        await pilot.pause()
        assert listed(app) == ["Proxy setup"]
