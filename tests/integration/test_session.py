"""A full chat turn through the core: user turn saved first, reply streamed, checkpointed,
and saved with its status, directly, through an HTTP proxy and through a SOCKS5 proxy."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chattui.core.client import ChatClient
from chattui.core.config import Settings
from chattui.core.events import TextDelta
from chattui.core.models import Conversation, MessageStatus, Role
from chattui.core.secrets import ApiKey
from chattui.core.session import ChatSession
from chattui.core.storage import ConversationStore
from chattui.core.turns import ReplyFinished, ReplyStarted, SessionEvent
from tests.builders import production_builder
from tests.fakeserver import FakeOpenAI, Reply
from tests.proxies import HttpProxy, Socks5Proxy

KEY = ApiKey("sk-session-test-000011112222")


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    store = ConversationStore(tmp_path / "conversations")
    store.prepare()
    return store


@pytest.fixture
async def client(fake_server: FakeOpenAI) -> AsyncIterator[ChatClient]:
    client = ChatClient(KEY, fake_server.base_url, timeout=5)
    yield client
    await client.aclose()


async def drain(events: AsyncIterator[SessionEvent]) -> list[SessionEvent]:
    return [event async for event in events]


def on_disk(store: ConversationStore, conversation: Conversation) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(store.path_for(conversation.id).read_text("utf-8"))
    return data


@pytest.mark.parametrize("via", ["direct", "http", "socks5"])
async def test_complete_turn(
    fake_server: FakeOpenAI,
    http_proxy: HttpProxy,
    socks5_proxy: Socks5Proxy,
    store: ConversationStore,
    via: str,
) -> None:
    proxy = {"direct": "", "http": http_proxy.url, "socks5": socks5_proxy.url}[via]
    client = ChatClient(KEY, fake_server.base_url, proxy=proxy, timeout=5)
    session = ChatSession(store, client, production_builder())
    settings = Settings(model="gpt-4o-mini", max_tokens=100)
    conversation = Conversation(system_prompt="You are terse.")
    fake_server.queue(Reply(text="First answer, 第一个回答。"))
    events = await drain(session.send(conversation, "What is 1+1? 一加一？", settings))
    fake_server.queue(Reply(text="Second answer."))
    await drain(session.send(conversation, "And 2+2?", settings))
    await client.aclose()

    assert isinstance(events[0], ReplyStarted) and isinstance(events[-1], ReplyFinished)
    sent = fake_server.latest_request.json
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "user"]
    assert sent["messages"][2]["content"] == "First answer, 第一个回答。"
    data = on_disk(store, conversation)
    messages = data["messages"]
    assert isinstance(messages, list)
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "complete"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert messages[1]["usage"]["completion_tokens"] > 0
    assert data["title"] == "What is 1+1? 一加一？"
    if proxy:
        target = f"127.0.0.1:{fake_server.port}"
        assert target in (http_proxy.targets if via == "http" else socks5_proxy.targets)


async def test_user_turn_saved_before_request(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    session = ChatSession(store, client, production_builder())
    conversation = Conversation()
    fake_server.queue(Reply(text="x"))
    events = session.send(conversation, "remember me", Settings())
    first = await anext(events)
    assert isinstance(first, ReplyStarted)
    data = on_disk(store, conversation)
    assert data["messages"][0]["content"] == "remember me"
    assert data["messages"][1]["status"] == "streaming"
    await drain(events)


async def test_error_keeps_partial_and_retry_works(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    session = ChatSession(store, client, production_builder())
    conversation = Conversation()
    fake_server.queue(Reply(text="partial text that is cut", chunk_size=2, fault="cut"))
    events = await drain(session.send(conversation, "hi", Settings()))
    final = events[-1]
    assert isinstance(final, ReplyFinished)
    assert final.message.status is MessageStatus.ERROR
    assert final.message.content and "cut" in (final.message.error or "")
    saved = store.load(conversation.id).messages[-1]
    assert saved.status is MessageStatus.ERROR and saved.content == final.message.content

    fake_server.queue(Reply(text="full reply"))
    await drain(session.retry(conversation, Settings()))
    assert [(m.role, m.status) for m in conversation.messages] == [
        (Role.USER, MessageStatus.COMPLETE),
        (Role.ASSISTANT, MessageStatus.COMPLETE),
    ]
    assert store.load(conversation.id).messages[-1].content == "full reply"
    assert [m["role"] for m in fake_server.latest_request.json["messages"]] == ["user"]


async def test_cancel_marks_stopped_and_saves(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    session = ChatSession(store, client, production_builder())
    conversation = Conversation()
    fake_server.queue(Reply(text="word " * 200, chunk_size=5, delay=0.01))
    received = asyncio.Event()

    async def consume() -> None:
        async for event in session.send(conversation, "long please", Settings()):
            if isinstance(event, TextDelta):
                received.set()

    task = asyncio.create_task(consume())
    await received.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved = store.load(conversation.id).messages[-1]
    assert saved.status is MessageStatus.STOPPED
    assert saved.content.startswith("word") and len(saved.content) < len("word " * 200)


async def test_checkpoints_partial_reply(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    """Checkpoints are written in the background, in order: what reaches the disk only grows,
    and the reply ends complete. (Checkpoints queued while one is written coalesce.)"""
    session = ChatSession(store, client, production_builder(), checkpoint_interval=0.0)
    conversation = Conversation()
    fake_server.queue(Reply(text="abcdefghij", chunk_size=1, delay=0.01))
    written: list[str] = []

    class Recorder:
        def saved(self, saved: Conversation, stat: os.stat_result) -> None:
            written.append(saved.messages[-1].content)

        def deleted(self, conversation_id: str) -> None:
            pass

    store.listeners.append(Recorder())
    async for _event in session.send(conversation, "go", Settings()):
        pass
    replies = written[1:]  # the first write holds the prompt and the empty reply
    assert len(replies) >= 3, written  # checkpoints were written while the reply streamed
    assert all(b.startswith(a) for a, b in itertools.pairwise(replies)), replies
    assert replies[-1] == "abcdefghij"
    assert store.load(conversation.id).messages[-1].content == "abcdefghij"


async def test_no_client_gives_clear_error(store: ConversationStore) -> None:
    session = ChatSession(store, None, production_builder())
    conversation = Conversation()
    events = await drain(session.send(conversation, "hi", Settings()))
    final = events[-1]
    assert isinstance(final, ReplyFinished) and final.message.status is MessageStatus.ERROR
    assert "API key" in (final.message.error or "")
    assert store.load(conversation.id).messages[0].content == "hi"


async def test_continue_appends_to_the_stopped_reply(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    from chattui.core.planner import RequestPlanner
    from chattui.core.turns import CONTINUE_PROMPT

    settings = Settings()
    session = ChatSession(store, client, build_request=RequestPlanner(settings).build)
    conversation = Conversation()
    fake_server.queue(Reply(text="The first half", fault="cut", fault_after=3, chunk_size=5))
    await drain(session.send(conversation, "tell me", settings))
    partial = conversation.messages[-1]
    assert partial.status is MessageStatus.ERROR and partial.content
    fake_server.queue(Reply(text=" and the second half."))
    events = await drain(session.continue_reply(conversation, settings))

    assert isinstance(events[-1], ReplyFinished)
    assert len(conversation.messages) == 2  # the same reply, not a new one
    final = store.load(conversation.id).messages[-1]
    assert final.status is MessageStatus.COMPLETE and final.error is None
    assert final.content == partial.content and final.content.endswith(" and the second half.")
    sent = fake_server.latest_request.json["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] != "" and sent[2]["content"] == CONTINUE_PROMPT


async def test_continue_without_unfinished_reply_does_nothing(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    session = ChatSession(store, client, production_builder())
    conversation = Conversation()
    fake_server.queue(Reply(text="done"))
    await drain(session.send(conversation, "hi", Settings()))
    assert await drain(session.continue_reply(conversation, Settings())) == []
    assert len(fake_server.chat_requests) == 1
