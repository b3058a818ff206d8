"""Saves off the event loop: the writer thread keeps them in order and coalesces checkpoints,
a lock held by another process gives a clear error after a bounded wait and loses nothing,
the write never happens on the loop's thread, and a deleted conversation stays deleted."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from chattui.core.atomic import atomic_write
from chattui.core.client import ChatClient
from chattui.core.config import Settings
from chattui.core.events import TextDelta
from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.core.saver import Saver, snapshot
from chattui.core.secrets import ApiKey
from chattui.core.session import ChatSession
from chattui.core.storage import LOCK_NAME, ConversationStore, LockedError
from chattui.core.turns import ReplyFinished, SaveFailed, SessionEvent
from tests.builders import production_builder
from tests.fakeserver import FakeOpenAI, Reply

KEY = ApiKey("sk-saving-test-000011112222")
LONG = " ".join(f"word{i}" for i in range(200))


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


class Gate:
    """A store listener that records each write (conversation id, version) and can hold the
    writer thread inside a save until :meth:`open` is called."""

    def __init__(self) -> None:
        self.written: list[tuple[str, int]] = []
        self.threads: set[int] = set()
        self.entered = threading.Event()
        self._open = threading.Event()
        self._open.set()

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    def saved(self, conversation: Conversation, stat: os.stat_result) -> None:
        self.written.append((conversation.title, int(conversation.params.get("version", 0))))
        self.threads.add(threading.get_ident())
        self.entered.set()
        assert self._open.wait(30), "the test never opened the gate"

    def deleted(self, conversation_id: str) -> None:
        self.written.append((f"deleted {conversation_id}", 0))


def versioned(title: str) -> Conversation:
    conversation = Conversation(title=title)
    conversation.add(Message(Role.USER, f"in {title}"))
    return conversation


def bump(conversation: Conversation, version: int) -> Conversation:
    conversation.params["version"] = version
    return conversation


@pytest.fixture
def gate(store: ConversationStore) -> Iterator[Gate]:
    gate = Gate()
    store.listeners.append(gate)
    yield gate
    gate.open()


def test_saves_keep_their_order_and_queued_ones_coalesce(
    store: ConversationStore, gate: Gate
) -> None:
    saver = Saver(store)
    a, b = versioned("a"), versioned("b")
    gate.close()
    first = saver.save(bump(a, 1))
    assert gate.entered.wait(10)  # the writer is inside the save of a v1: the rest queue up
    queued = [saver.save(bump(a, 2)), saver.save(bump(b, 1)), saver.save(bump(a, 3))]
    later_a = saver.save(bump(a, 4))
    assert saver.pending == 3  # a v2..v4 coalesced into one job (at a v2's place), b v1
    gate.open()
    assert saver.flush(30)
    for future in [first, *queued, later_a]:
        assert future.result() == 0
    assert gate.written == [("a", 1), ("a", 4), ("b", 1)]
    assert store.load(a.id).params["version"] == 4
    assert store.load(b.id).params["version"] == 1


def test_a_delete_comes_after_the_saves_queued_before_it_and_keeps_later_ones_out(
    store: ConversationStore, gate: Gate
) -> None:
    saver = Saver(store)
    a = versioned("a")
    gate.close()
    saver.save(bump(a, 1))
    assert gate.entered.wait(10)
    saver.save(bump(a, 2))
    deleted = saver.delete(a.id)
    late = saver.save(bump(a, 3))  # e.g. the last save of a reply that was streaming
    gate.open()
    assert saver.flush(30)
    assert deleted.result() == 0 and late.result() == 0
    assert gate.written == [("a", 1), ("a", 2), (f"deleted {a.id}", 0)]
    assert not store.path_for(a.id).exists()
    assert store.is_deleted(a.id)


def test_a_snapshot_is_independent_of_later_changes() -> None:
    conversation = versioned("a")
    reply = conversation.add(Message(Role.ASSISTANT, "partial", status=MessageStatus.STREAMING))
    copy = snapshot(conversation)
    reply.content = "partial and more"
    reply.status = MessageStatus.COMPLETE
    conversation.add(Message(Role.USER, "next"))
    conversation.params["version"] = 2
    assert [m.content for m in copy.messages] == ["in a", "partial"]
    assert copy.messages[-1].status is MessageStatus.STREAMING
    assert "version" not in copy.params
    assert copy.to_dict()["messages"][1]["content"] == "partial"


class LockHolder:
    """Another process holding the store's real flock until :meth:`release`."""

    def __init__(self, directory: Path) -> None:
        code = (
            "import fcntl, os, sys\n"
            f"fd = os.open({str(directory / LOCK_NAME)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == b"locked\n"

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(30)


async def test_a_lock_held_by_another_process_gives_a_clear_error_and_loses_nothing(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    store.lock_wait = 0.3
    session = ChatSession(store, client, production_builder(), checkpoint_interval=0.0)
    conversation = Conversation()
    fake_server.queue(Reply(text=LONG, chunk_size=20))
    holder = LockHolder(store.directory)
    try:
        events: list[SessionEvent] = [
            event async for event in session.send(conversation, "hello", Settings())
        ]
    finally:
        holder.release()
    failures = [event for event in events if isinstance(event, SaveFailed)]
    assert failures, events
    message = failures[0].error
    assert "another chattui instance" in message and "stays in memory" in message
    finished = events[-1]
    assert isinstance(finished, ReplyFinished)
    assert finished.message.status is MessageStatus.COMPLETE
    assert not store.path_for(conversation.id).exists()  # nothing could be written...
    assert conversation.messages[-1].content == LONG  # ...and nothing is lost: it is here
    await asyncio.wrap_future(session.save_soon(conversation))  # the next save gets through
    saved = store.load(conversation.id)
    assert [(m.role, m.content) for m in saved.messages] == [
        (Role.USER, "hello"),
        (Role.ASSISTANT, LONG),
    ]


def test_the_lock_wait_is_bounded_for_a_lock_held_in_this_process(
    store: ConversationStore,
) -> None:
    store.lock_wait = 0.2
    fd = os.open(store.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)  # a second open file description: flock conflicts
        with pytest.raises(LockedError, match="another chattui instance"):
            store.save(versioned("a"))
    finally:
        os.close(fd)
    store.save(versioned("b"))  # free again


async def test_checkpoints_are_written_off_the_loop_which_keeps_ticking(
    fake_server: FakeOpenAI,
    store: ConversationStore,
    client: ChatClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shape, not time: every write (JSON, temp file, fsync, rename) runs on another thread
    than the loop's, and while one checkpoint is held inside its write the loop goes on
    (here it must tick several times before the write may finish)."""
    loop_thread = threading.get_ident()
    write_threads: set[int] = set()
    ticks = 0
    held_at: int | None = None
    held = threading.Event()
    release = threading.Event()

    def recording_write(path: Path, data: bytes, mode: int = 0o600) -> None:
        write_threads.add(threading.get_ident())
        if b'"status": "streaming"' in data and b"word1 " in data and not held.is_set():
            held.set()
            assert release.wait(30), "the loop stopped while a checkpoint was written"
        atomic_write(path, data, mode)

    monkeypatch.setattr("chattui.core.storage.atomic_write", recording_write)
    session = ChatSession(store, client, production_builder(), checkpoint_interval=0.0)
    conversation = Conversation()
    fake_server.queue(Reply(text=LONG, chunk_size=10, delay=0.002))

    async def ticker() -> None:
        nonlocal ticks, held_at
        while True:
            await asyncio.sleep(0.001)
            ticks += 1
            if held.is_set() and not release.is_set():
                if held_at is None:
                    held_at = ticks
                elif ticks - held_at >= 5:  # the loop went on while the write was held
                    release.set()

    ticking = asyncio.create_task(ticker())
    deltas = 0
    try:
        async for event in session.send(conversation, "go", Settings()):
            if isinstance(event, TextDelta):
                deltas += 1
    finally:
        ticking.cancel()
    assert held.is_set() and release.is_set()
    assert write_threads and loop_thread not in write_threads
    assert deltas > 1
    assert store.load(conversation.id).messages[-1].content == LONG


async def test_deleting_during_a_stream_stops_it_and_the_last_save_does_not_revive_it(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    session = ChatSession(store, client, production_builder(), checkpoint_interval=0.0)
    conversation = Conversation()
    fake_server.queue(Reply(text=LONG, chunk_size=5, delay=0.01))
    received = asyncio.Event()

    async def consume() -> None:
        async for event in session.send(conversation, "long please", Settings()):
            if isinstance(event, TextDelta):
                received.set()

    task = asyncio.create_task(consume())
    await received.wait()
    assert session.streaming(conversation.id)
    assert store.path_for(conversation.id).exists()
    deleted = session.delete(conversation.id)
    with pytest.raises(asyncio.CancelledError):
        await task  # the session stopped the turn
    await asyncio.wrap_future(deleted)
    assert not session.streaming(conversation.id)
    assert conversation.messages[-1].status is MessageStatus.STOPPED
    await asyncio.wrap_future(session.save_soon(conversation))  # a late save, e.g. a pin
    assert session.saver.flush(30)
    assert not store.path_for(conversation.id).exists()
    assert conversation.id not in [s.id for s in store.list_conversations()]


async def test_the_session_owns_the_live_text_and_which_conversations_stream(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    session = ChatSession(store, client, production_builder(), checkpoint_interval=60.0)
    conversation = Conversation()
    fake_server.queue(Reply(text=LONG, chunk_size=5, delay=0.001))
    events = session.send(conversation, "hi", Settings())
    assert session.streaming(conversation.id)  # from the call on, before the first step
    assert session.live_conversation(conversation.id) is conversation
    seen = ""
    async for event in events:
        if isinstance(event, TextDelta):
            seen += event.text
            reply = conversation.messages[-1]
            assert session.live_text(reply.id) == seen
            if len(seen) > 100:
                assert reply.content == ""  # no checkpoint yet: only the session has it
    assert not session.streaming(conversation.id)
    assert session.live_text(conversation.messages[-1].id) is None
    assert conversation.messages[-1].content == LONG


async def test_retry_reports_the_replies_it_drops(
    fake_server: FakeOpenAI, store: ConversationStore, client: ChatClient
) -> None:
    from chattui.core.turns import RepliesDropped

    session = ChatSession(store, client, production_builder())
    conversation = Conversation()
    fake_server.queue(Reply(text="partial", status=500))
    async for _event in session.send(conversation, "q", Settings()):
        pass
    failed = conversation.messages[-1]
    assert failed.status is MessageStatus.ERROR
    assert session.can_retry(conversation) and not session.can_continue(conversation)
    fake_server.queue(Reply(text="good"))
    events = [event async for event in session.retry(conversation, Settings())]
    assert RepliesDropped((failed.id,)) in events
    assert [m.content for m in conversation.branch()] == ["q", "good"]
    assert not session.can_retry(conversation)


async def test_cancelling_a_wait_for_a_save_neither_cancels_it_nor_stops_the_writer(
    store: ConversationStore, gate: Gate
) -> None:
    """The Stop key cancels the task that awaits the stopped reply's save: that save must
    still be written, and the writer thread must go on with the next ones."""
    saver = Saver(store)
    a = versioned("a")
    gate.close()
    saver.save(bump(a, 1))
    assert gate.entered.wait(10)
    second = saver.save(bump(a, 2))
    waiting = asyncio.wrap_future(second)
    waiting.cancel()
    await asyncio.sleep(0)  # one turn of the loop: the cancel reaches the saver's future
    assert not second.cancelled()
    gate.open()
    assert saver.flush(30)
    assert second.result() == 0
    await asyncio.wrap_future(saver.save(bump(a, 3)))
    assert gate.written == [("a", 1), ("a", 2), ("a", 3)]
    assert store.load(a.id).params["version"] == 3


def test_a_deleted_conversation_that_comes_back_can_be_saved_again(
    store: ConversationStore,
) -> None:
    """A tombstone keeps late saves out, not a conversation imported again and opened."""
    conversation = versioned("a")
    store.save(conversation)
    store.delete(conversation.id)
    assert store.save(bump(conversation, 2)) == 0
    assert not store.path_for(conversation.id).exists()
    ConversationStore(store.directory).save(bump(conversation, 3))  # e.g. an import
    reopened = store.load(conversation.id)
    reopened.add(Message(Role.USER, "more"))
    store.save(reopened)
    assert [m.content for m in ConversationStore(store.directory).load(reopened.id).messages] == [
        "in a",
        "more",
    ]
