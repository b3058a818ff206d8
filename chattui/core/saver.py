"""Saving conversations off the event loop.

The loop only takes a snapshot of the conversation (a shallow copy of it and of its messages:
under a millisecond at 1,000 messages); the lock, the merge with what another instance wrote,
the JSON serialisation, the write and the fsync run in one writer thread.

Ordering: one thread takes the jobs in the order they came, so a later save of a conversation
never overtakes an earlier one. A save queued while an older save of the same conversation
is still waiting replaces that one's snapshot (only the newest needs writing); both futures
complete with that write. A delete is a job in the same queue, after the saves before it.

Turns that another instance wrote, merged in by the store into a snapshot, are handed back to
the conversation in memory on the loop (and carried into the next snapshots until then, so a
save taken meanwhile cannot write them away).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from chattui.core.models import Conversation, Message
from chattui.core.problems import Problem
from chattui.core.storage import ConversationStore, StorageError, absorb

__all__ = ["Saver", "report_failure", "snapshot"]

IDLE_SECONDS = 2.0
"""The writer thread ends after this long without work (it starts again with the next job)."""

EXIT_WAIT = 10.0
"""Longest wait at interpreter exit for queued saves."""

_SAVERS: weakref.WeakSet[Saver] = weakref.WeakSet()


def snapshot(conversation: Conversation) -> Conversation:
    """A copy of ``conversation`` that a thread can save while the original changes: the
    conversation and its messages are copied, their (immutable) strings shared."""
    clone = Conversation.__new__(Conversation)
    clone.__dict__.update(conversation.__dict__)
    clone.params = dict(conversation.params)
    clone.known_ids = set(conversation.known_ids)
    new = Message.__new__
    messages: list[Message] = []
    for message in conversation.messages:
        copy = new(Message)
        copy.__dict__.update(message.__dict__)
        messages.append(copy)
    clone.messages = messages
    return clone


def _copy(message: Message) -> Message:
    copy = Message.__new__(Message)
    copy.__dict__.update(message.__dict__)
    return copy


@dataclass
class _Job:
    conversation_id: str
    snapshot: Conversation | None
    """What to write; None: delete the conversation."""
    futures: list[Future[int]] = field(default_factory=list)
    live: Conversation | None = None
    """The conversation in memory, which gets the turns merged in from disk."""
    loop: asyncio.AbstractEventLoop | None = None
    keep_out: bool = True


class Saver:
    """Writes snapshots of conversations to ``store`` in a background thread."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._waiting: dict[str, _Job] = {}
        """The queued (not started) save of each conversation, to coalesce into."""
        self._busy = False
        self._thread: threading.Thread | None = None
        self._carry: dict[str, dict[str, Message]] = {}
        """Per conversation: messages read from disk into a snapshot that the conversation in
        memory may not have yet (writer thread only)."""
        if not _SAVERS:
            atexit.unregister(_flush_all)
            atexit.register(_flush_all)
        _SAVERS.add(self)

    # -- the loop's side ---------------------------------------------------------------------

    def save(self, conversation: Conversation) -> Future[int]:
        """Queue a save of ``conversation`` as it is now; the future gives how many messages
        were merged in from disk, or raises :class:`~chattui.core.storage.StorageError`."""
        copy = snapshot(conversation)
        future = _running_future()
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._cond:
            job = self._waiting.get(conversation.id)
            if job is None:
                job = _Job(conversation.id, copy)
                self._waiting[conversation.id] = job
                self._queue.append(job)
            job.snapshot = copy
            job.live = conversation
            job.loop = loop
            job.futures.append(future)
            self._wake()
        return future

    def delete(self, conversation_id: str, *, keep_out: bool = True) -> Future[int]:
        """Queue the removal of a conversation's file, after the saves queued before it (with
        ``keep_out``, later saves of it are dropped: see ``ConversationStore.delete``)."""
        future = _running_future()
        with self._cond:
            self._waiting.pop(conversation_id, None)  # a new save would coalesce after it
            self._queue.append(_Job(conversation_id, None, [future], keep_out=keep_out))
            self._wake()
        return future

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued job is done; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return len(self._queue) + self._busy

    def _wake(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="chattui-saver", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._cond.wait_for(
                    lambda: bool(self._queue), IDLE_SECONDS
                ):
                    self._thread = None
                    return
                job = self._queue.popleft()
                if self._waiting.get(job.conversation_id) is job:
                    del self._waiting[job.conversation_id]
                self._busy = True
            try:
                self._do(job)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _do(self, job: _Job) -> None:
        try:
            if job.snapshot is None:
                self._carry.pop(job.conversation_id, None)
                self.store.delete(job.conversation_id, keep_out=job.keep_out)
                result = 0
            else:
                result = self._write(job, job.snapshot)
        except Exception as error:  # told to whoever waits; the thread goes on
            for future in job.futures:
                future.set_exception(error)
            return
        for future in job.futures:
            future.set_result(result)

    def _write(self, job: _Job, copy: Conversation) -> int:
        carry = self._carry.setdefault(job.conversation_id, {})
        mine = {message.id: message for message in copy.messages}
        for message_id, theirs in list(carry.items()):
            ours = mine.get(message_id)
            if ours is None and message_id in copy.known_ids:
                del carry[message_id]  # removed in memory since (a retry, a deleted turn)
            elif ours is not None and (ours.content, ours.status) == (
                theirs.content,
                theirs.status,
            ):
                del carry[message_id]  # the conversation in memory has it
        before = {message.id: (message.content, message.status) for message in copy.messages}
        absorb(copy, [_copy(message) for message in carry.values()])
        merged = self.store.save(copy)
        changed = [
            message
            for message in copy.messages
            if before.get(message.id) != (message.content, message.status)
        ]
        for message in changed:
            carry[message.id] = _copy(message)
        if not carry:
            del self._carry[job.conversation_id]
        if changed and job.live is not None and job.loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to update
                job.loop.call_soon_threadsafe(
                    _absorb_live, job.live, [_copy(message) for message in changed]
                )
        return merged


def _running_future() -> Future[int]:
    """A future already marked running: cancelling the coroutine that awaits it (the Stop key
    while the stopped reply is saved) must not cancel it, nor the write it stands for."""
    future: Future[int] = Future()
    future.set_running_or_notify_cancel()
    return future


def _absorb_live(conversation: Conversation, messages: list[Message]) -> None:
    """On the loop: hand turns read from disk to the conversation in memory (a reply this
    process streams is never replaced by an older copy: see ``storage._catch_up``)."""
    absorb(conversation, messages)


def _flush_all() -> None:
    """At interpreter exit (the writer threads are daemons): finish what is queued."""
    for saver in list(_SAVERS):
        saver.flush(EXIT_WAIT)


def report_failure(
    future: Future[int], on_failed: Callable[[Problem], object] | None
) -> Future[int]:
    """Call ``on_failed`` with the problem of a failed save or delete (``future``, from
    :class:`Saver`), on the running loop; return ``future``. The writer thread never waits
    for the loop: it may be waiting for the writer, at exit."""
    if on_failed is None:
        return future
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # called outside a loop: told on the writer thread
        loop = None

    def done(finished: Future[int]) -> None:
        error = finished.exception()
        if not isinstance(error, StorageError):
            return
        if loop is None:
            on_failed(error.problem)
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(on_failed, error.problem)

    future.add_done_callback(done)
    return future
