"""Opening a big saved conversation: its file is read in a thread, it is shown when ready,
the last choice wins, and what is typed or sent meanwhile goes to the conversation chosen.

The store's real ``load`` runs in every test; a gate in front of it (released by the test)
holds the read so that the "meanwhile" is certain, without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import ConversationStore
from chattui.ui.app import ChatApp
from chattui.ui.main.conversations import LOAD_IN_THREAD_BYTES, ConversationLoaded
from chattui.ui.main.screen import MainScreen
from chattui.ui.main.start import StartAt
from chattui.ui.widgets.sidebar import ConversationList
from tests.apptools import build_app, chat_log, main_screen, prompt
from tests.fakeserver import FakeOpenAI, Reply
from tests.ui.conftest import SIZE, conversations_dir, notices, settle, wait_for


def seed_big(home: Path, title: str, turns: int = 120) -> Conversation:
    """A saved conversation larger than LOAD_IN_THREAD_BYTES."""
    store = ConversationStore(conversations_dir(home))
    store.prepare()
    conversation = Conversation(title=title, model="gpt-4o")
    for n in range(turns):
        conversation.add(Message(Role.USER, f"{title} question {n} " + "words " * 60))
        conversation.add(Message(Role.ASSISTANT, f"{title} answer {n} " + "more words " * 60))
    store.save(conversation)
    store.flush_index()
    assert store.path_for(conversation.id).stat().st_size > LOAD_IN_THREAD_BYTES
    return conversation


@dataclass
class Gate:
    """Holds `ConversationStore.load` until released (all, or one conversation's), and
    records the threads it ran in."""

    threads: list[int] = field(default_factory=list)
    opened: threading.Event = field(default_factory=threading.Event)
    waiting: int = 0
    by_id: dict[str, threading.Event] = field(default_factory=dict)

    def event(self, conversation_id: str) -> threading.Event:
        return self.by_id.setdefault(conversation_id, threading.Event())

    def release(self, conversation_id: str = "") -> None:
        if conversation_id:
            self.event(conversation_id).set()
        else:
            self.opened.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    load: Callable[[ConversationStore, str], Conversation] = ConversationStore.load

    def gated(store: ConversationStore, conversation_id: str) -> Conversation:
        held.threads.append(threading.get_ident())
        held.waiting += 1
        mine = held.event(conversation_id)
        deadline = time.monotonic() + 30  # a failed test must not hold the app's exit
        while not (held.opened.is_set() or mine.is_set()) and time.monotonic() < deadline:
            mine.wait(timeout=0.01)
        return load(store, conversation_id)

    monkeypatch.setattr(ConversationStore, "load", gated)
    yield held
    held.release()  # no thread outlives the test


def shown_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of every conversation the main screen is asked to show, in order."""
    shown: list[str] = []
    show = MainScreen.show_conversation

    def spy(screen: MainScreen, conversation: Conversation) -> None:
        shown.append(conversation.id)
        show(screen, conversation)

    monkeypatch.setattr(MainScreen, "show_conversation", spy)
    return shown


def opening(app: ChatApp) -> bool:
    return any(w.group == "open-conversation" and not w.is_finished for w in app.workers)


async def test_a_big_conversation_is_read_in_a_thread_and_the_last_choice_wins(
    fake_server: FakeOpenAI, home: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = seed_big(home, "first"), seed_big(home, "second")
    shown = shown_ids(monkeypatch)
    loaded: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, ConversationLoaded):
            loaded.append(message.conversation_id)

    app = build_app(fake_server.base_url)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        blank = screen.conversation
        screen.post_message(ConversationList.Selected(first.id))
        await wait_for(pilot, lambda: gate.waiting == 1)
        screen.post_message(ConversationList.Selected(second.id))  # chosen while it is read
        await wait_for(pilot, lambda: gate.waiting == 2 and opening(app))
        assert screen.conversation is blank  # still drawn; keys still answered
        await pilot.press("escape")
        gate.release(first.id)  # the first choice is read first: and dropped
        await wait_for(pilot, lambda: first.id in loaded)
        await pilot.pause()
        assert screen.conversation is blank
        gate.release(second.id)
        await wait_for(pilot, lambda: screen.conversation.id == second.id)
        await settle(pilot)
        assert screen.conversation.id == second.id and first.id not in shown
        assert threading.get_ident() not in gate.threads  # never read on the loop
        text = chat_log(app).rendered_text()
        assert "second answer 119" in text and "first answer" not in text


async def test_typed_and_sent_while_it_is_read_goes_to_the_conversation_chosen(
    fake_server: FakeOpenAI, home: Path, gate: Gate
) -> None:
    big = seed_big(home, "big")
    app = build_app(fake_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        screen.conversations.open(big.id)
        await wait_for(pilot, lambda: gate.waiting == 1)
        prompt(app).focus()
        await pilot.press(*"go on")
        assert prompt(app).text == "go on"
        await pilot.press("enter")  # waits for the conversation being read
        assert fake_server.chat_requests == [] and screen.conversation.id != big.id
        fake_server.queue(Reply(text="Going on."))
        gate.release()
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 1)
        await settle(pilot)
        sent = fake_server.chat_requests[0].messages
        assert sent[-1]["content"] == "go on" and "big answer 119" in sent[-2]["content"]
        assert screen.conversation.id == big.id and screen.conversation.messages[-1].content == (
            "Going on."
        )


async def test_the_command_lines_conversation_is_read_in_a_thread_then_its_prompt_sent(
    fake_server: FakeOpenAI, home: Path, gate: Gate
) -> None:
    big = seed_big(home, "continued")
    fake_server.queue(Reply(text="Continued."))
    app = build_app(fake_server.base_url)
    app._start = StartAt(prompt="and then?", conversation_id=big.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: gate.waiting == 1)
        assert prompt(app).text == "and then?" and fake_server.chat_requests == []
        gate.release()
        await wait_for(pilot, lambda: len(fake_server.chat_requests) == 1)
        await settle(pilot)
        assert main_screen(app).conversation.id == big.id
        assert fake_server.chat_requests[0].messages[-1]["content"] == "and then?"


async def test_a_big_file_damaged_before_it_is_opened_is_reported_as_before(
    fake_server: FakeOpenAI, home: Path
) -> None:
    big = seed_big(home, "damaged")
    app = build_app(fake_server.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = conversations_dir(home) / f"{big.id}.json"
        path.write_bytes(path.read_bytes()[: LOAD_IN_THREAD_BYTES + 10])  # cut short
        main_screen(app).conversations.open(big.id)
        await settle(pilot)
        (kept,) = path.parent.glob(f"{path.name}.corrupt-*")
        notes = notices(app)
        assert any(f"{path.name} is damaged" in n and kept.name in n for n in notes), notes
        assert main_screen(app).conversation.id != big.id and not path.exists()
