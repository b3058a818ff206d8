"""Per-conversation settings and automatic titles over the real SDK and the loopback server:
each turn sends the conversation's model and parameters (or the current defaults) and the
reply records the model that was sent; the title is a request of its own."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chattui.core.catalog import Catalog
from chattui.core.client import ChatClient
from chattui.core.config import Settings
from chattui.core.events import ChatError
from chattui.core.models import Conversation, Message, Role
from chattui.core.planner import RequestPlanner
from chattui.core.secrets import ApiKey
from chattui.core.session import ChatSession
from chattui.core.storage import ConversationStore
from chattui.core.titles import INSTRUCTION, generate_title, title_request
from chattui.core.turns import SessionEvent
from tests.fakeserver import FakeOpenAI, Reply

KEY = ApiKey("sk-library-test-000011112222")


@pytest.fixture
async def client(fake_server: FakeOpenAI) -> AsyncIterator[ChatClient]:
    client = ChatClient(KEY, fake_server.base_url, timeout=5)
    yield client
    await client.aclose()


async def drain(events: AsyncIterator[SessionEvent]) -> None:
    async for _event in events:
        pass


async def test_each_turn_sends_the_conversations_model_and_parameters(
    client: ChatClient, fake_server: FakeOpenAI, tmp_path: Path
) -> None:
    store = ConversationStore(tmp_path)
    store.prepare()
    settings = Settings(base_url=fake_server.base_url, model="gpt-4o-mini", temperature=0.7)
    session = ChatSession(store, client, RequestPlanner(settings).build)
    conversation = Conversation()

    await drain(session.send(conversation, "one", settings))
    body = fake_server.chat_requests[-1].json
    assert (body["model"], body["temperature"]) == ("gpt-4o-mini", 0.7)
    assert conversation.model is None  # not pinned: it follows the default

    # The default model changes (Settings, --model): the next turn follows it.
    settings = dataclasses.replace(settings, model="gpt-4.1")
    await drain(session.send(conversation, "two", settings))
    assert fake_server.chat_requests[-1].json["model"] == "gpt-4.1"

    # A model and parameters chosen for the conversation win over the defaults.
    conversation.model = "gpt-4o"
    conversation.params = {"temperature": 0.1, "max_tokens": 50}
    await drain(session.send(conversation, "three", settings))
    body = fake_server.chat_requests[-1].json
    assert (body["model"], body["temperature"]) == ("gpt-4o", 0.1)
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 50

    replies = [m for m in conversation.messages if m.role is Role.ASSISTANT]
    assert [m.model for m in replies] == ["gpt-4o-mini", "gpt-4.1", "gpt-4o"]
    saved = store.load(conversation.id)
    assert [m.model for m in saved.messages if m.role is Role.ASSISTANT] == [
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4o",
    ]


async def test_title_request_is_a_real_request_and_its_answer_is_cleaned(
    client: ChatClient, fake_server: FakeOpenAI
) -> None:
    conversation = Conversation(title="怎么设置 SOCKS5 代理？")

    conversation.add(Message(Role.USER, "怎么设置 SOCKS5 代理？"))
    conversation.add(Message(Role.ASSISTANT, "在设置里填写 socks5://127.0.0.1:1080。"))
    fake_server.queue(Reply(text="“SOCKS5 代理设置。”"))
    request = title_request(conversation, "gpt-4o-mini", Catalog.bundled(), fake_server.base_url)
    assert await generate_title(client, request) == "SOCKS5 代理设置"
    sent = fake_server.chat_requests[-1]
    assert sent.json["model"] == "gpt-4o-mini"
    assert sent.messages[0] == {"role": "system", "content": INSTRUCTION}
    assert "怎么设置 SOCKS5 代理？" in sent.messages[1]["content"]
    assert "socks5://127.0.0.1:1080" in sent.messages[1]["content"]

    fake_server.queue(Reply(status=500))
    with pytest.raises(ChatError):
        await generate_title(client, request)
