"""Disk faults: a full disk (a real tiny tmpfs, and RLIMIT_FSIZE in a child), a save failing
in the middle of a reply in the app, and a data directory that is a file.

Tests run as root, so chmod cannot make a directory unwritable; the faults are real ENOSPC /
EFBIG errors, except in the app test, where ``os.replace`` fails with ENOSPC for the
conversations directory only (the core behaviour under real limits is covered first).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import AsyncIterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chattui.core import atomic
from chattui.core.config import Settings
from chattui.core.events import TextDelta
from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.core.session import ChatSession
from chattui.core.storage import ConversationStore, StorageError
from chattui.core.turns import ReplyFinished, SaveFailed, SessionEvent
from chattui.ui.widgets.chat_log import ChatLog
from tests.builders import production_builder
from tests.fakeserver import FakeOpenAI, Reply
from tests.reliability import helpers
from tests.reliability.helpers import Notes, app_environ, make_app, send_message, temp_files

REPLY_TEXT = "A reply that must survive a full disk, 满了也不丢. " * 8


def fill(directory: Path) -> Path:
    """Write a file until the filesystem is full (not one byte left); return it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test (skipped where mounting is not permitted)."""
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount command")
    result = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


async def collect(events: AsyncIterable[SessionEvent]) -> list[SessionEvent]:
    return [event async for event in events]


async def test_full_disk_fails_cleanly_and_recovers(
    tiny_disk: Path, fake_server: FakeOpenAI
) -> None:
    store = ConversationStore(tiny_disk / "conversations")
    store.prepare()
    conversation = Conversation(id="full", title="full disk")
    conversation.add(Message(Role.USER, "a first question"))
    store.save(conversation)
    path = store.path_for("full")
    before = path.read_bytes()
    filler = fill(tiny_disk)

    # The store: a clear error, the old file byte-identical, no temp file.
    conversation.add(Message(Role.ASSISTANT, "x" * 20_000))
    with pytest.raises(StorageError) as caught:
        store.save(conversation)
    assert str(caught.value) == "Could not save the conversation: No space left on device."
    assert path.read_bytes() == before
    assert temp_files(store.directory) == []

    # The session: the reply streams on, every failed save is reported, the text stays in
    # memory.
    from chattui.core.client import ChatClient
    from chattui.core.secrets import ApiKey

    fake_server.queue(Reply(text=REPLY_TEXT, chunk_size=16))
    client = ChatClient(ApiKey(helpers.TEST_KEY), fake_server.base_url)
    session = ChatSession(store, client, production_builder())
    try:
        events = await collect(session.send(conversation, "and a second one", Settings()))
    finally:
        await client.aclose()
    failures = [event for event in events if isinstance(event, SaveFailed)]
    assert len(failures) >= 2  # the user turn, the final save (and the empty reply's)
    assert all("No space left on device" in failure.error for failure in failures)
    finished = [event for event in events if isinstance(event, ReplyFinished)]
    assert finished and finished[0].message.status is MessageStatus.COMPLETE
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == REPLY_TEXT
    assert conversation.messages[-1].content == REPLY_TEXT
    assert path.read_bytes() == before
    assert temp_files(store.directory) == []

    # Space is back: the next save writes everything held in memory.
    filler.unlink()
    store.save(conversation)
    saved = ConversationStore(store.directory).load("full")
    assert [m.content for m in saved.messages] == [m.content for m in conversation.messages]
    assert saved.messages[-1].content == REPLY_TEXT


def test_file_size_limit_in_a_child(tmp_path: Path) -> None:
    """RLIMIT_FSIZE (works without mount rights): EFBIG instead of ENOSPC, same guarantees."""
    child = helpers.start(helpers.fsize_limit_child, str(tmp_path), 64 * 1024, duplex=True)
    conn = child.reports
    try:
        path = tmp_path / "limited.json"

        def receive() -> tuple[str, Any]:
            assert conn.poll(30), "the child did not answer"
            message: tuple[str, Any] = conn.recv()
            return message

        assert receive() == ("saved", None)
        before = path.read_bytes()
        step, error = receive()
        assert step == "failed", "the save over the limit did not fail"
        assert error == "Could not save the conversation: File too large."
        assert path.read_bytes() == before
        assert temp_files(tmp_path) == []
        conn.send("go")
        assert receive() == ("saved-after", None)
        child.process.join(30)
        assert child.process.exitcode == 0
    finally:
        child.close()
    saved = helpers.read_conversation(path)
    assert [m.role for m in saved.messages] == [Role.USER, Role.ASSISTANT]
    assert len(saved.messages[1].content) == 4 * 64 * 1024


class _FullDiskOs:
    """``os`` as ``chattui.core.atomic`` sees it, where ``replace`` into ``directory`` fails
    with ENOSPC once :attr:`allowed` saves went through, until :attr:`full` is cleared."""

    def __init__(self, directory: Path, allowed: int) -> None:
        self.directory = str(directory)
        self.allowed = allowed
        self.full = True
        self.refused = 0

    def replace(self, source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        name = os.fspath(target)
        if self.full and name.startswith(self.directory) and not name.endswith("index.json"):
            if self.allowed <= 0:
                self.refused += 1
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.allowed -= 1
        os.replace(source, target)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


async def test_app_reports_a_failed_save_and_keeps_the_reply(
    fake_server: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    conversations = home / "data" / "conversations"
    # The disk fills up mid-reply: the user turn and the empty reply are saved (one write),
    # the rest fails (whether or not a checkpoint comes before the end).
    fake_os = _FullDiskOs(conversations, allowed=1)
    monkeypatch.setattr(atomic, "os", fake_os)
    fake_server.queue(
        Reply(text=REPLY_TEXT, chunk_size=8, delay=0.02),  # ~1.1 s: one checkpoint too
        Reply(text="second answer"),
    )
    notes = Notes([])
    app = make_app(app_environ(home, fake_server.base_url))
    async with app.run_test(size=(140, 40), message_hook=notes.hook) as pilot:
        main = app.main_screen
        assert main is not None
        await send_message(pilot, "first question")

        assert fake_os.refused >= 1
        errors = notes.matching("No space left on device", "error")
        assert errors and errors[0] == "Could not save the conversation: No space left on device."
        # In memory and on screen, the reply is whole.
        reply = main.conversation.messages[-1]
        assert (reply.status, reply.content) == (MessageStatus.COMPLETE, REPLY_TEXT)
        assert "满了也不丢" in main.query_one(ChatLog).rendered_text()
        # On disk: the last good save (the turn, the reply incomplete), no temp file.
        (path,) = [p for p in conversations.glob("*.json") if p.name != "index.json"]
        on_disk = helpers.read_conversation(path)
        assert on_disk.messages[0].content == "first question"
        assert on_disk.messages[1].status is MessageStatus.STREAMING
        assert temp_files(conversations) == []

        fake_os.full = False  # space is back: the next save writes everything
        await send_message(pilot, "second question")
        saved = helpers.read_conversation(path)
        assert [(m.content, m.status) for m in saved.messages] == [
            ("first question", MessageStatus.COMPLETE),
            (REPLY_TEXT, MessageStatus.COMPLETE),
            ("second question", MessageStatus.COMPLETE),
            ("second answer", MessageStatus.COMPLETE),
        ]


async def test_data_dir_that_is_a_file(fake_server: FakeOpenAI, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").write_bytes(b"not a directory\n")
    fake_server.queue(Reply(text="still answering"))
    notes = Notes([])
    app = make_app(app_environ(home, fake_server.base_url))
    assert app.services.fatal is not None
    async with app.run_test(size=(140, 40), message_hook=notes.hook) as pilot:
        await pilot.pause()
        main = app.main_screen
        assert main is not None and app.screen is main
        startup = notes.matching("is not a directory", "error")
        assert startup, notes.items
        assert str(home / "data") in startup[0]
        assert "Conversations cannot be saved until this is fixed." in startup[0]
        # The app still works: a message gets its reply (in memory), saving fails loudly.
        await send_message(pilot, "hello?")
        assert "still answering" in main.query_one(ChatLog).rendered_text()
        assert main.conversation.messages[-1].content == "still answering"
        assert notes.matching("Not a directory", "error") or notes.matching(
            "not a directory", "error"
        )
    assert (home / "data").read_bytes() == b"not a directory\n"
