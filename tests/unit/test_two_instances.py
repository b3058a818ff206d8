"""Two instances on the same data: no turn is ever lost, and a dead lock holder blocks nothing."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import LOCK_NAME, ConversationStore, _FileLock


def test_same_conversation_keeps_both_instances_turns(tmp_path: Path) -> None:
    first = ConversationStore(tmp_path)
    second = ConversationStore(tmp_path)
    conv = Conversation(title="shared")
    conv.add(Message(Role.USER, "start"))
    first.save(conv)
    mine = first.load(conv.id)
    theirs = second.load(conv.id)
    mine.add(Message(Role.USER, "from instance one"))
    first.save(mine)
    theirs.add(Message(Role.USER, "from instance two"))
    assert second.save(theirs) == 1  # one turn merged back in
    contents = [m.content for m in ConversationStore(tmp_path).load(conv.id).messages]
    assert contents == ["start", "from instance one", "from instance two"]
    mine.add(Message(Role.ASSISTANT, "reply in one"))
    first.save(mine)
    final = [m.content for m in ConversationStore(tmp_path).load(conv.id).messages]
    assert final == ["start", "from instance one", "from instance two", "reply in one"]


def test_removed_message_is_not_resurrected(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    conv = Conversation()
    conv.add(Message(Role.USER, "q"))
    conv.add(Message(Role.ASSISTANT, "failed"))
    store.save(conv)
    conv.messages.pop()  # what a retry does
    store.save(conv)
    assert [m.content for m in ConversationStore(tmp_path).load(conv.id).messages] == ["q"]


def test_different_conversations_do_not_interfere(tmp_path: Path) -> None:
    first, second = ConversationStore(tmp_path), ConversationStore(tmp_path)
    a, b = Conversation(title="a"), Conversation(title="b")
    a.add(Message(Role.USER, "in a"))
    b.add(Message(Role.USER, "in b"))
    first.save(a)
    second.save(b)
    titles = sorted(s.title for s in ConversationStore(tmp_path).list_conversations())
    assert titles == ["a", "b"]


def test_lock_of_killed_process_does_not_block(tmp_path: Path) -> None:
    lock_path = tmp_path / LOCK_NAME
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: take the lock, say so, then wait to be killed
        os.close(read_fd)
        lock = _FileLock(lock_path)
        lock.__enter__()
        os.write(write_fd, b"locked")
        signal.pause()
        os._exit(0)
    os.close(write_fd)
    assert os.read(read_fd, 6) == b"locked"
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(read_fd)
    store = ConversationStore(tmp_path)
    conv = Conversation(id="x")
    conv.add(Message(Role.USER, "after the crash"))
    store.save(conv)  # would hang forever if the dead child's lock were still held
    assert store.load("x").messages[0].content == "after the crash"
