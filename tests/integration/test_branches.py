"""Regenerate and edit-and-resend through the real session, SDK and server: the next turn's
context is the branch on screen, and the file keeps every branch."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chattui.core.client import ChatClient
from chattui.core.config import Settings
from chattui.core.models import Conversation, MessageStatus, Role
from chattui.core.secrets import ApiKey
from chattui.core.session import ChatSession
from chattui.core.storage import ConversationStore
from chattui.core.turns import SessionEvent
from tests.builders import production_builder
from tests.fakeserver import FakeOpenAI, Reply

SETTINGS = Settings(model="gpt-4o-mini")


@pytest.fixture
async def session(fake_server: FakeOpenAI, tmp_path: Path) -> AsyncIterator[ChatSession]:
    store = ConversationStore(tmp_path / "conversations")
    store.prepare()
    client = ChatClient(ApiKey("sk-branch-test-0000"), fake_server.base_url, timeout=5)
    yield ChatSession(store, client, production_builder())
    await client.aclose()


async def drain(events: AsyncIterator[SessionEvent]) -> None:
    async for _event in events:
        pass


def sent(fake_server: FakeOpenAI) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in fake_server.latest_request.json["messages"]]


async def test_regenerate_keeps_the_old_reply_and_next_turn_follows_the_shown_one(
    session: ChatSession, fake_server: FakeOpenAI
) -> None:
    conversation = Conversation()
    fake_server.queue(Reply(text="first"))
    await drain(session.send(conversation, "question", SETTINGS))
    first = conversation.branch()[-1]
    fake_server.queue(Reply(text="second"))
    await drain(session.regenerate(conversation, first, SETTINGS))
    assert sent(fake_server) == [("user", "question")]  # the old reply is not context
    second = conversation.branch()[-1]
    assert second.content == "second" and second.parent_id == first.parent_id
    assert [m.content for m in conversation.alternatives(second)] == ["first", "second"]

    conversation.switch_alternative(second, -1)  # show "first" again
    fake_server.queue(Reply(text="third"))
    await drain(session.send(conversation, "follow-up", SETTINGS))
    assert sent(fake_server) == [
        ("user", "question"),
        ("assistant", "first"),
        ("user", "follow-up"),
    ]
    loaded = session.store.load(conversation.id)
    assert [m.content for m in loaded.branch()] == ["question", "first", "follow-up", "third"]
    assert len(loaded.messages) == 5


async def test_edit_and_resend_starts_a_branch_and_keeps_the_old_one(
    session: ChatSession, fake_server: FakeOpenAI
) -> None:
    conversation = Conversation()
    fake_server.queue(Reply(text="a1"))
    await drain(session.send(conversation, "q1", SETTINGS))
    fake_server.queue(Reply(text="a2"))
    await drain(session.send(conversation, "q2", SETTINGS))
    q2 = conversation.branch()[2]
    fake_server.queue(Reply(text="a2 for the edit"))
    await drain(session.send(conversation, "q2 edited", SETTINGS, instead_of=q2))
    assert sent(fake_server) == [("user", "q1"), ("assistant", "a1"), ("user", "q2 edited")]
    assert [m.content for m in conversation.branch()] == [
        "q1",
        "a1",
        "q2 edited",
        "a2 for the edit",
    ]
    edited = conversation.branch()[2]
    assert conversation.alternatives(edited) == [q2, edited]
    # Editing the very first prompt: a new root, the whole old conversation kept.
    q1 = conversation.branch()[0]
    fake_server.queue(Reply(text="fresh"))
    await drain(session.send(conversation, "q1 edited", SETTINGS, instead_of=q1))
    assert sent(fake_server) == [("user", "q1 edited")]
    data = json.loads(session.store.path_for(conversation.id).read_text("utf-8"))
    assert len(data["messages"]) == 8
    assert data["current_leaf"] == conversation.branch()[-1].id
    assert sum(1 for m in data["messages"] if m["parent_id"] is None) == 2


async def test_retry_replaces_only_the_failed_reply_on_the_branch(
    session: ChatSession, fake_server: FakeOpenAI
) -> None:
    conversation = Conversation()
    fake_server.queue(Reply(text="ok"))
    await drain(session.send(conversation, "q1", SETTINGS))
    fake_server.queue(Reply(status=500))
    await drain(session.send(conversation, "q2", SETTINGS))
    assert conversation.branch()[-1].status is MessageStatus.ERROR
    fake_server.queue(Reply(text="recovered"))
    await drain(session.retry(conversation, SETTINGS))
    branch = conversation.branch()
    assert [m.content for m in branch] == ["q1", "ok", "q2", "recovered"]
    assert all(m.role is not Role.ASSISTANT or m.status is MessageStatus.COMPLETE for m in branch)
    assert len(conversation.messages) == 4
