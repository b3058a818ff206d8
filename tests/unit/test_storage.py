"""Conversation files: atomic, listed newest first through the index, corrupt ones kept aside."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from chattui.core.atomic import atomic_write, clean_temp_files
from chattui.core.models import Conversation, Message, MessageStatus, Role, Usage
from chattui.core.storage import LOCK_NAME, ConversationStore, CorruptFileError, StorageError


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    store = ConversationStore(tmp_path / "conversations")
    store.prepare()
    return store


def conversation(title: str, updated: float, text: str = "hi") -> Conversation:
    conv = Conversation(title=title)
    conv.add(Message(Role.USER, text))
    conv.add(Message(Role.ASSISTANT, "reply", usage=Usage(3, 4, 7)))
    conv.updated = updated
    return conv


def test_round_trip(store: ConversationStore) -> None:
    conv = conversation("中文 title", 10.0, "你好 \U0001f600")
    conv.system_prompt = "be brief"
    store.save(conv)
    path = store.path_for(conv.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text("utf-8"))
    assert data["schema"] == 1 and data["messages"][0]["status"] == "complete"
    assert "你好" in path.read_text("utf-8")  # human-readable, not \u-escaped
    loaded = store.load(conv.id)
    assert loaded.to_dict() == conv.to_dict()
    assert loaded.messages[1].parent_id == loaded.messages[0].id


def test_lone_surrogates_never_truncate(store: ConversationStore) -> None:
    conv = conversation("bad \ud800", 1.0, "text \udfff end")
    store.save(conv)
    loaded = store.load(conv.id)
    assert loaded.messages[0].content == "text \ufffd end"


def test_list_newest_first_and_uses_index(store: ConversationStore) -> None:
    for index in range(5):
        store.save(conversation(f"c{index}", float(index)))
    titles = [summary.title for summary in store.list_conversations()]
    assert titles == ["c4", "c3", "c2", "c1", "c0"]
    assert (store.directory / "index.json").exists()
    fresh = ConversationStore(store.directory)
    assert [s.title for s in fresh.list_conversations()] == titles


def test_rename_and_delete(store: ConversationStore) -> None:
    conv = conversation("old", 1.0)
    store.save(conv)
    store.rename(conv.id, "new\x1b[31m name\n")
    assert store.load(conv.id).title == "new name"
    store.delete(conv.id)
    assert store.list_conversations() == []
    with pytest.raises(StorageError):
        store.load(conv.id)


@pytest.mark.parametrize(
    "content",
    [b"", b"{trunc", b"\xff\xfe\x00binary", b"[1, 2]", b'{"schema": 1, "id": 5}', b'{"schema": 9}'],
)
def test_corrupt_file_moved_aside_and_reported(store: ConversationStore, content: bytes) -> None:
    good = conversation("good", 5.0)
    store.save(good)
    bad = store.directory / "bad1.json"
    bad.write_bytes(content)
    summaries = store.list_conversations()
    assert [s.title for s in summaries] == ["good"]
    aside = [p for p in store.directory.iterdir() if p.name.startswith("bad1.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert not bad.exists()
    assert store.problems and "bad1.json" in store.problems[0].text()


def test_load_corrupt_raises_with_location(store: ConversationStore) -> None:
    (store.directory / "x1.json").write_text("{")
    with pytest.raises(CorruptFileError) as info:
        store.load("x1")
    assert info.value.moved_to is not None and info.value.moved_to.exists()


def test_failed_write_keeps_previous_file(store: ConversationStore, tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    target.write_bytes(b"old")

    class Boom(bytes):
        pass

    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_temp_files_of_dead_writers_are_cleaned(store: ConversationStore) -> None:
    dead = store.directory / ".a.json.tmp-999999999-abcd"
    dead.write_text("partial")
    live = store.directory / f".b.json.tmp-{os.getppid()}-abcd"
    live.write_text("being written")
    assert clean_temp_files(store.directory) == 1
    assert not dead.exists() and live.exists()


def test_streaming_status_round_trips(store: ConversationStore) -> None:
    conv = Conversation()
    conv.add(Message(Role.ASSISTANT, "part", status=MessageStatus.STREAMING))
    store.save(conv)
    assert store.load(conv.id).messages[0].status is MessageStatus.STREAMING


def test_data_dir_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "conversations"
    blocker.write_text("")
    with pytest.raises(StorageError, match="not a directory"):
        ConversationStore(blocker).prepare()


def test_saves_leave_one_lock_file_not_one_per_conversation(store: ConversationStore) -> None:
    (store.directory / ".old-version-id.lock").write_text("")
    store.prepare()  # removes per-conversation locks of old versions
    for n in range(3):
        conversation = Conversation(title=f"c{n}")
        conversation.add(Message(Role.USER, "hi"))
        store.save(conversation)
    store.delete(conversation.id)
    hidden = sorted(p.name for p in store.directory.iterdir() if p.name.startswith("."))
    assert hidden == [LOCK_NAME]


def test_storage_problems_are_data_worded_in_the_users_language(store: ConversationStore) -> None:
    from chattui.i18n import _, set_language

    bad = store.directory / "bad2.json"
    bad.write_bytes(b"\xff\xfe\x00binary")
    assert store.list_conversations() == []
    (problem,) = store.problems
    assert problem.code == "storage.corrupt" and problem.values["name"] == "bad2.json"
    assert problem.text().startswith("bad2.json is damaged (not UTF-8); it was kept as ")
    with pytest.raises(StorageError) as caught:
        store.load("gone")
    assert caught.value.problem.code == "storage.gone"
    set_language("zh")
    try:
        assert problem.text(_).startswith("bad2.json 已损坏（不是 UTF-8 编码）；已另存为 ")
        assert caught.value.problem.text(_) == "gone.json 已不存在。"
    finally:
        set_language("en")


def test_the_directory_stamp_counts_other_processes_writes_not_its_own(
    store: ConversationStore, tmp_path: Path
) -> None:
    """The sidebar lists again when the stamp changes: its own saves (every second while a
    reply streams) must not make it, another process's must, even if a save follows it."""
    probe = tmp_path / "probe"

    def tick() -> None:
        """Until the file system's clock (a few milliseconds coarse) has moved on: the next
        change gets another mtime (a wait for the clock, not for work)."""
        last = os.stat(store.directory).st_mtime_ns
        for _ in range(100_000):
            probe.touch()
            if probe.stat().st_mtime_ns > last:
                return
        raise AssertionError("the clock did not move")

    mine = conversation("mine", 1.0)
    store.save(mine)
    stamp = store.directory_stamp()
    tick()
    store.save(mine)
    tick()
    store.delete(conversation("gone", 2.0).id)
    store.flush_index()
    assert store.directory_stamp() == stamp  # only this store wrote
    tick()
    ConversationStore(store.directory).save(conversation("theirs", 3.0))
    tick()
    store.save(mine)  # this store writes right after the other one
    assert store.directory_stamp() != stamp
