"""Crash safety: SIGKILL at random moments never costs more than ~1 s of a reply, never leaves a
torn file, and two instances on the same data never lose a turn.

Children are forked from a warm fork server (see ``helpers``) and run the real core:
``ChatSession.send`` with the real ``ChatClient`` (openai SDK) against ``FakeOpenAI`` on
loopback, checkpointing every 1.0 s as in production.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chattui.core.models import Message, MessageStatus, Role
from chattui.core.storage import LOCK_NAME, ConversationStore
from tests.fakeserver import FakeOpenAI, Reply
from tests.reliability import helpers
from tests.reliability.helpers import (
    BEGIN,
    CHECKPOINT_INTERVAL,
    DELTA,
    DONE,
    ERROR,
    FINISHED,
    LOCKED,
    SAVED,
    SAVING,
    STARTED,
    read_conversation,
    seed_conversation,
    temp_files,
)

CID = "crashtest"
USER_TEXT = "Tell me about foxes, please."
FULL = "The quick brown fox 敏捷的棕色狐狸 jumps over the lazy dog 🦊. " * 10
"""The reply: multi-byte characters too, so a torn UTF-8 sequence would show."""
STREAM = Reply(text=FULL, chunk_size=6, delay=0.01, headers_delay=0.1)
"""~95 deltas over ~1 s, after ~0.25 s before the first byte: longer than the checkpoint
interval, so kills land before the first byte, before and after a checkpoint, and after."""
SLACK = 0.3
"""Allowed beyond the checkpoint interval: the gap to the next delta, the save itself, and
scheduling on a loaded 2-core machine."""
WORKERS = 6
"""Children streaming at once (they mostly wait on the server's pacing)."""

T = TypeVar("T")


@pytest.fixture
def stream_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default_reply=STREAM) as server:
        httpd = server._httpd
        assert httpd is not None
        report_error = httpd.handle_error

        def handle_error(
            request: socket.socket | tuple[bytes, socket.socket], address: Any
        ) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionResetError):  # a killed client
                report_error(request, address)

        monkeypatch.setattr(httpd, "handle_error", handle_error)
        yield server


def parallel(jobs: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Run ``jobs`` on ``workers`` threads; the first failure cancels the jobs not started."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def stratified(count: int, end: float, seed: int) -> list[float]:
    """``count`` random delays covering [0, end] evenly (one per slice), shuffled."""
    rng = random.Random(seed)
    delays = [end * (index + rng.random()) / count for index in range(count)]
    rng.shuffle(delays)
    return delays


# --------------------------------------------------------------------------- killed while streaming


@dataclass(frozen=True)
class Outcome:
    phase: str
    """Where the kill landed: before-reply, before-first-byte, mid-stream or finished."""
    on_disk: int
    """Characters of the reply in the file after the kill."""
    status: str
    unsaved_for: float
    """How long the oldest received-but-unsaved character had waited at the kill (s)."""
    temp_cleaned: int


def stream_length(server: FakeOpenAI, root: Path) -> float:
    """One uninterrupted run: seconds from the first delta to FINISHED (the kill window)."""
    directory = root / "calibrate"
    seed_conversation(directory, CID)
    child = helpers.start(helpers.stream_child, str(directory), CID, server.base_url, USER_TEXT)
    try:
        first = child.wait_for(DELTA, 30)
        finished = child.wait_for(FINISHED, 30)
        assert first is not None and finished is not None, child.seen
        return finished.time - first.time
    finally:
        child.close()


def kill_while_streaming(server: FakeOpenAI, directory: Path, anchor: int, delay: float) -> Outcome:
    """Start a reply in a child, SIGKILL it ``delay`` s after it reports ``anchor`` (BEGIN,
    the first DELTA or FINISHED), and check the file as the next start would find it."""
    seed_conversation(directory, CID)
    child = helpers.start(helpers.stream_child, str(directory), CID, server.base_url, USER_TEXT)
    try:
        begin = child.wait_for(BEGIN, 30)
        assert begin is not None, f"{directory.name}: the child never began: {child.seen}"
        start = child.wait_for(anchor, 30)
        assert start is not None, f"{directory.name}: no report {anchor}: {child.seen}"
        time.sleep(max(0.0, start.time + delay - time.monotonic()))
        killed_at = child.kill()
    finally:
        child.close()
    reports = [r for r in child.seen if r.time <= killed_at]
    where = f"{directory.name} (killed {killed_at - begin.time:.3f} s after BEGIN)"
    assert not [r for r in child.seen if r.kind == ERROR], f"{where}: the child failed"

    conversation = read_conversation(directory / f"{CID}.json")  # always parses
    messages = conversation.messages
    assert [m.content for m in messages[:2]] == ["earlier question", "earlier answer"], where
    started = any(r.kind == STARTED for r in reports)
    finished = any(r.kind == FINISHED for r in reports)
    deltas = [r for r in reports if r.kind == DELTA]
    if started:
        assert len(messages) == 4, f"{where}: {[m.role for m in messages]}"
    assert len(messages) in (2, 3, 4), where
    if len(messages) >= 3:
        assert (messages[2].role, messages[2].content) == (Role.USER, USER_TEXT), where
    on_disk, status = 0, "none"
    if len(messages) == 4:
        reply = messages[3]
        on_disk, status = len(reply.content), reply.status.value
        assert reply.role is Role.ASSISTANT, where
        assert reply.status in (MessageStatus.STREAMING, MessageStatus.COMPLETE), where
        assert FULL.startswith(reply.content), f"{where}: not a prefix: {reply.content!r}"
        if reply.status is MessageStatus.COMPLETE:
            assert reply.content == FULL, where
    if finished:
        assert status == "complete" and on_disk == len(FULL), where

    # Nothing received more than CHECKPOINT_INTERVAL (+ slack) before the kill is missing.
    due = max(
        (r.count for r in deltas if r.time <= killed_at - CHECKPOINT_INTERVAL - SLACK), default=0
    )
    assert on_disk >= due, (
        f"{where}: {on_disk} characters on disk, but {due} had been received "
        f"{CHECKPOINT_INTERVAL + SLACK:.1f} s before the kill"
    )
    oldest_unsaved = next((r.time for r in deltas if r.count > on_disk), killed_at)

    cleaned = ConversationStore(directory).prepare()  # what the next start does
    assert temp_files(directory) == [], where
    phase = (
        "finished"
        if finished
        else "mid-stream"
        if deltas
        else "before-first-byte"
        if started
        else "before-reply"
    )
    return Outcome(phase, on_disk, status, killed_at - oldest_unsaved, cleaned)


def run_kill_loop(server: FakeOpenAI, root: Path, runs: int) -> list[Outcome]:
    length = stream_length(server, root)
    # 15% of the kills in the first 0.3 s (mostly before the first byte), 15% just after
    # the end, the others anywhere from the first delta to the end, evenly.
    edge = runs * 15 // 100
    plan = [(BEGIN, delay) for delay in stratified(edge, 0.3, seed=runs)]
    plan += [(FINISHED, delay) for delay in stratified(edge, 0.05, seed=runs + 1)]
    plan += [(DELTA, delay) for delay in stratified(runs - 2 * edge, length * 1.1, seed=-runs)]
    random.Random(runs).shuffle(plan)
    jobs = [
        partial(kill_while_streaming, server, root / f"run{i:04d}", a, d)
        for i, (a, d) in enumerate(plan)
    ]
    outcomes = parallel(jobs, WORKERS)
    phases = Counter(o.phase for o in outcomes)
    worst = max(o.unsaved_for for o in outcomes)
    cleaned = sum(o.temp_cleaned for o in outcomes)
    print(f"\n{runs} kills: {dict(phases)}; longest unsaved span {worst:.3f} s; {cleaned} temp")
    assert phases["before-first-byte"] + phases["before-reply"] >= 1, phases
    assert phases["mid-stream"] >= runs // 2, phases
    assert phases["finished"] >= runs // 10, phases
    # Some kills came after a checkpoint: a partial reply was on disk, marked incomplete.
    assert any(o.status == "streaming" and 0 < o.on_disk < len(FULL) for o in outcomes)
    return outcomes


def test_kill_while_streaming_loses_at_most_a_checkpoint(
    stream_server: FakeOpenAI, tmp_path: Path
) -> None:
    run_kill_loop(stream_server, tmp_path, runs=100)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_while_streaming_many_times(stream_server: FakeOpenAI, tmp_path: Path) -> None:
    run_kill_loop(stream_server, tmp_path, runs=1000)


# --------------------------------------------------------------------------- killed while saving

BIG = 1_000_000
"""Characters of the big message (~1.2 MB of JSON): a save takes long enough to be hit."""


def kill_while_saving(directory: Path, delay: float) -> tuple[bool, int]:
    """Kill a child that saves a big conversation in a loop, ``delay`` s after its first save;
    return (whether the kill landed inside a save, temp files left)."""
    child = helpers.start(helpers.save_loop_child, str(directory), "big", BIG)
    try:
        first = child.wait_for(SAVED, 30)
        assert first is not None, child.seen
        time.sleep(delay)
        killed_at = child.kill()
    finally:
        child.close()
    assert not [r for r in child.seen if r.kind == ERROR], f"{directory.name}: child failed"
    reports = [r for r in child.seen if r.time <= killed_at]
    last = max(r.count for r in reports if r.kind == SAVED)
    path = directory / "big.json"
    assert path.stat().st_size > BIG, f"{directory.name}: truncated file"
    conversation = read_conversation(path)  # never torn, never empty
    version = conversation.params["version"]
    # The last save reported, or the one after it (done but not yet reported).
    assert version in (last, last + 1), f"{directory.name}: version {version}, last {last}"
    assert conversation.messages[0].content == helpers.version_text(version, BIG)
    left = len(temp_files(directory))
    ConversationStore(directory).prepare()  # the next start
    assert temp_files(directory) == [], f"{directory.name}: temp files not cleaned"
    assert read_conversation(path).params["version"] == version
    return reports[-1].kind == SAVING, left


def test_kill_while_saving_never_tears_the_file(tmp_path: Path) -> None:
    runs = 20
    delays = [random.uniform(0.0, 0.15) for _ in range(runs)]
    jobs = [partial(kill_while_saving, tmp_path / f"save{i:03d}", d) for i, d in enumerate(delays)]
    results = parallel(jobs, 2)
    inside = sum(1 for landed, _left in results if landed)
    left = sum(1 for _landed, left in results if left)
    print(f"\n{runs} kills while saving: {inside} inside a save, {left} left a temp file")
    assert inside >= runs // 2, "the kills did not land inside saves: the test proved nothing"


def test_killed_between_write_and_rename_keeps_the_old_version(tmp_path: Path) -> None:
    """The one instant a random kill rarely hits: the new version fully written to its temp
    file, not yet renamed. The old version stays; the next start removes the temp file."""
    child = helpers.start(helpers.killed_in_write_child, str(tmp_path), "big", BIG)
    try:
        assert child.wait_for(LOCKED, 30) is not None, child.seen
        (temp,) = temp_files(tmp_path)
        assert (tmp_path / temp).stat().st_size > BIG  # version 2, complete in the temp file
        child.kill()
    finally:
        child.close()
    conversation = read_conversation(tmp_path / "big.json")
    assert conversation.params["version"] == 1
    assert conversation.messages[0].content == helpers.version_text(1, BIG)
    assert ConversationStore(tmp_path).prepare() == 1
    assert temp_files(tmp_path) == []


# --------------------------------------------------------------------------- two instances


def test_two_processes_on_one_conversation_never_lose_a_turn(tmp_path: Path) -> None:
    reply = Reply(text="Short answer number one, then two. " * 4, chunk_size=3, delay=0.01)
    seed_conversation(tmp_path, CID)
    turns = {name: [f"{name} turn {n}" for n in range(3)] for name in ("alpha", "beta")}
    with FakeOpenAI(default_reply=reply) as server:
        children = [
            helpers.start(helpers.turns_child, str(tmp_path), CID, server.base_url, texts)
            for texts in turns.values()
        ]
        try:
            for child in children:
                assert child.join(60), f"a child failed or hung: {child.seen}"
                assert not [r for r in child.seen if r.kind == ERROR]
        finally:
            for child in children:
                child.close()
    conversation = read_conversation(tmp_path / f"{CID}.json")
    users = [m.content for m in conversation.messages if m.role is Role.USER]
    replies = [m for m in conversation.messages if m.role is Role.ASSISTANT]
    expected = ["earlier question", *turns["alpha"], *turns["beta"]]
    assert sorted(users) == sorted(expected), users
    assert len(replies) == 1 + 6, [m.content[:20] for m in replies]
    for message in replies[1:]:
        assert (message.status, message.content) == (MessageStatus.COMPLETE, reply.text), (
            f"a finished reply was saved over by a stale copy: {message}"
        )


def test_finished_reply_is_not_saved_over_by_a_stale_copy(tmp_path: Path) -> None:
    """Deterministic form of the race above: B merges A's reply while it streams, A finishes
    it, then B saves again; B must not write its stale copy back."""
    seed_conversation(tmp_path, CID)
    store_a, store_b = ConversationStore(tmp_path), ConversationStore(tmp_path)
    mine, theirs = store_a.load(CID), store_b.load(CID)
    mine.add(Message(Role.USER, "from a"))
    reply = mine.add(Message(Role.ASSISTANT, "", status=MessageStatus.STREAMING))
    store_a.save(mine)
    theirs.add(Message(Role.USER, "from b"))
    assert store_b.save(theirs) == 2  # A's turn and its (empty, streaming) reply merged in
    reply.content, reply.status = "partial", MessageStatus.STREAMING
    store_a.save(mine)
    theirs.add(Message(Role.ASSISTANT, "b's own note"))
    store_b.save(theirs)
    reply.content, reply.status = "partial and done", MessageStatus.COMPLETE
    store_a.save(mine)
    store_b.save(theirs)  # B holds the "partial" copy: it must not come back
    saved = ConversationStore(tmp_path).load(CID).find(reply.id)
    assert saved is not None
    assert (saved.status, saved.content) == (MessageStatus.COMPLETE, "partial and done")
    assert [m.content for m in ConversationStore(tmp_path).load(CID).messages][2:] == [
        "from a",
        "partial and done",
        "from b",
        "b's own note",
    ]


def test_lock_of_killed_process_does_not_block_next_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    directory = home / "data" / "conversations"
    seed_conversation(directory, CID)
    holder = helpers.start(helpers.hold_lock_in_save_child, str(directory), CID)
    try:
        assert holder.wait_for(LOCKED, 30) is not None, holder.seen
        lock_path = directory / LOCK_NAME
        fd = os.open(lock_path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # really held by the child
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.kill()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free as soon as it died
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        holder.close()
    environ = {"CHATTUI_HOME": str(home), "OPENAI_API_KEY": helpers.TEST_KEY}
    with FakeOpenAI(default_reply=Reply(text="fine")) as server:
        environ["OPENAI_BASE_URL"] = server.base_url
        nxt = helpers.start(helpers.next_start_child, environ, CID)
        try:
            assert nxt.join(30), f"the next start failed or hung on the lock: {nxt.seen}"
            assert nxt.wait_for(DONE, 0) is not None
        finally:
            nxt.close()
    contents = [m.content for m in read_conversation(directory / f"{CID}.json").messages]
    assert contents == ["earlier question", "earlier answer", "after the crash", "fine"]
