"""Shared pieces of the reliability tests: a pre-warmed fork server, the code its children run,
and a tiny report protocol over a pipe.

Spawning a fresh Python costs about a second (the ``openai`` import), so children come from a
``forkserver`` that imported the core once (:func:`forkserver_context`); a child starts in
~20-50 ms. Children run the real core (``ChatSession``, ``ChatClient``, the openai SDK)
against a ``FakeOpenAI`` served by the test process on loopback.

Children report progress as fixed-size records ``(kind, monotonic time, count)`` written with
one ``write`` each (atomic on a pipe), so a record is never torn by SIGKILL. The time is
``time.monotonic()``, one system-wide clock on Linux, comparable with the parent's.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.context
import os
import signal
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chattui.core.config import Settings
from chattui.core.models import Conversation, Message, Role
from chattui.core.storage import ConversationStore
from tests.builders import production_builder

if TYPE_CHECKING:  # imported where used: the fork server's children never load Textual
    import ssl

    from textual.pilot import Pilot

    from chattui.core.client import ChatClient
    from chattui.ui.app import ChatApp

PRELOAD = [
    # Each child re-runs the main script (Python 3.11's forkserver cannot preload it): under
    # ``pytest`` that is ``from pytest import console_main``, ~0.4 s of CPU unless preloaded.
    "pytest",
    "chattui.core.client",
    # Imported lazily by the SDK on the first request: ~0.25 s of CPU in every child.
    "anyio._backends._asyncio",
    "jiter",
    "openai.resources.chat.completions.completions",
    "openai.lib.streaming.chat",
    "chattui.core.session",
    "chattui.core.services",
    "chattui.core.storage",
    "tests.reliability.helpers",
]

TEST_KEY = "sk-reliability-test-0000111122223333"
CHECKPOINT_INTERVAL = 1.0
"""As in production (``ChatSession``'s default)."""

# Report kinds.
BEGIN = 0
"""The child is about to call ``ChatSession.send`` (or to start saving)."""
STARTED = 1
"""``ReplyStarted``: the user turn and the empty reply are on disk."""
DELTA = 2
"""A ``TextDelta`` arrived; count = characters of the reply received so far."""
FINISHED = 3
"""``ReplyFinished``; count = characters of the reply."""
SAVED = 4
"""A save returned; count = the version saved."""
SAVE_FAILED = 5
"""The session yielded ``SaveFailed``."""
LOCKED = 6
"""The child stopped inside a save (holding the conversation's lock) to be killed there."""
DONE = 7
"""The child finished its work; count = a job-specific number."""
SAVING = 8
"""A save is starting; count = the version being saved."""
ERROR = 9
"""Something unexpected happened in the child (count = 0; details are in its stderr)."""

_RECORD = struct.Struct("<Bdq")

_context: multiprocessing.context.ForkServerContext | None = None


def forkserver_context() -> multiprocessing.context.ForkServerContext:
    """The ``forkserver`` context, with the core preloaded in the server (once per session)."""
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


@dataclass(frozen=True)
class Report:
    kind: int
    time: float
    count: int


def report(conn: Connection, kind: int, count: int = 0) -> None:
    """Send one record (one ``write``: never torn by a kill)."""
    conn.send_bytes(_RECORD.pack(kind, time.monotonic(), count))


def drain(conn: Connection, timeout: float = 0.0) -> list[Report]:
    """Every record available now (or within ``timeout`` for the first one)."""
    records: list[Report] = []
    wait = timeout
    while True:
        try:
            if not conn.poll(wait):
                return records
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return records
        records.append(Report(*_RECORD.unpack(data)))
        wait = 0.0


def wait_for(conn: Connection, kind: int, timeout: float, seen: list[Report]) -> Report | None:
    """Read records into ``seen`` until one of ``kind`` arrives (returned) or ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        for record in seen:
            if record.kind == kind:
                return record
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        new = drain(conn, left)
        if not new:
            return None
        seen.extend(new)


@dataclass
class Child:
    """A started child process and the read end of its report pipe."""

    process: multiprocessing.process.BaseProcess
    reports: Connection
    seen: list[Report]

    def wait_for(self, kind: int, timeout: float) -> Report | None:
        return wait_for(self.reports, kind, timeout, self.seen)

    def kill(self) -> float:
        """SIGKILL the child and reap it; return the monotonic time of the kill."""
        killed_at = time.monotonic()
        pid = self.process.pid
        assert pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.process.join(10)
        self.seen.extend(drain(self.reports))
        return killed_at

    def join(self, timeout: float) -> bool:
        """Wait for a normal exit; kill and return False after ``timeout``."""
        self.process.join(timeout)
        self.seen.extend(drain(self.reports))
        if self.process.exitcode is None:
            self.kill()
            return False
        return self.process.exitcode == 0

    def close(self) -> None:
        if self.process.exitcode is None:
            self.kill()
        self.reports.close()
        self.process.close()


def start(target: Callable[..., None], *args: Any, duplex: bool = False) -> Child:
    """Start ``target(*args, conn)`` in a child forked from the warm fork server; ``conn`` is
    the write end of the report pipe (or one end of a duplex pipe)."""
    context = forkserver_context()
    reader, writer = context.Pipe(duplex=duplex)
    process = context.Process(target=target, args=(*args, writer), daemon=True)
    process.start()
    writer.close()  # the child's copy keeps the pipe open until it dies
    return Child(process, reader, [])


# --------------------------------------------------------------------------- conversations


def seed_conversation(directory: Path, conversation_id: str = "crashtest") -> Conversation:
    """Save a conversation with one earlier exchange; return it."""
    store = ConversationStore(directory)
    store.prepare()
    conversation = Conversation(id=conversation_id, title="reliability")
    conversation.add(Message(Role.USER, "earlier question"))
    conversation.add(Message(Role.ASSISTANT, "earlier answer"))
    store.save(conversation)
    return conversation


def read_conversation(path: Path) -> Conversation:
    """Parse a conversation file exactly as strictly as the app (json + ``from_dict``)."""
    import json

    return Conversation.from_dict(json.loads(path.read_bytes().decode("utf-8")))


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name)


# --------------------------------------------------------------------------- child bodies


def _ssl_context() -> ssl.SSLContext:
    import httpcore2

    return httpcore2.default_ssl_context()


_SSL_CONTEXT = _ssl_context()
"""Built once in the fork server: loading the CA bundle costs ~50-150 ms per client, a big
part of a child's start, and no TLS is used on loopback."""


def _client(base_url: str) -> ChatClient:
    """The real client; in a child only (it reuses the fork server's SSL context)."""
    import httpcore2

    from chattui.core.client import ChatClient
    from chattui.core.secrets import ApiKey

    httpcore2.default_ssl_context = lambda **_: _SSL_CONTEXT
    return ChatClient(ApiKey(TEST_KEY), base_url, "", 30.0)


def stream_child(
    directory: str, conversation_id: str, base_url: str, text: str, conn: Connection
) -> None:
    """Send ``text`` in a conversation and report every step; then wait to be killed."""
    from chattui.core.events import TextDelta
    from chattui.core.session import ChatSession
    from chattui.core.turns import ReplyFinished, ReplyStarted, SaveFailed

    async def main() -> None:
        store = ConversationStore(Path(directory))
        conversation = store.load(conversation_id)
        session = ChatSession(
            store, _client(base_url), production_builder(), checkpoint_interval=CHECKPOINT_INTERVAL
        )
        received = 0
        report(conn, BEGIN)
        async for event in session.send(conversation, text, Settings()):
            if isinstance(event, ReplyStarted):
                report(conn, STARTED)
            elif isinstance(event, TextDelta):
                received += len(event.text)
                report(conn, DELTA, received)
            elif isinstance(event, SaveFailed):
                report(conn, SAVE_FAILED)
            elif isinstance(event, ReplyFinished):
                report(conn, FINISHED, received)

    try:
        asyncio.run(main())
    except BaseException:
        report(conn, ERROR)
        raise
    signal.pause()  # killed here at the latest


def version_text(version: int, size: int) -> str:
    """The big message of version ``version`` (its first line names the version)."""
    head = f"version {version}\n"
    return head + ("abcdefghij 中文 " * (size // 16 + 1))[: size - len(head)]


def save_loop_child(directory: str, conversation_id: str, size: int, conn: Connection) -> None:
    """Save versions 1, 2, 3... of a large conversation back to back until killed."""
    try:
        store = ConversationStore(Path(directory))
        store.prepare()
        conversation = Conversation(id=conversation_id, title="big")
        big = conversation.add(Message(Role.USER, ""))
        version = 0
        report(conn, BEGIN)
        while True:
            version += 1
            big.content = version_text(version, size)
            conversation.params["version"] = version
            report(conn, SAVING, version)
            store.save(conversation)
            report(conn, SAVED, version)
    except BaseException:
        report(conn, ERROR)
        raise


class _PausingOs:
    """``os`` as ``chattui.core.atomic`` sees it, where ``fsync`` of a file reports and waits
    to be killed: the temp file is complete, not yet renamed over the conversation."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def fsync(self, fd: int) -> None:
        import stat

        if stat.S_ISREG(os.fstat(fd).st_mode):
            report(self.conn, LOCKED)
            signal.pause()
        os.fsync(fd)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def killed_in_write_child(
    directory: str, conversation_id: str, size: int, conn: Connection
) -> None:
    """Save version 1, then stop inside the save of version 2, after its temp file is written
    and before it replaces the conversation, until killed."""
    from chattui.core import atomic

    store = ConversationStore(Path(directory))
    store.prepare()
    conversation = Conversation(id=conversation_id, title="big")
    big = conversation.add(Message(Role.USER, version_text(1, size)))
    conversation.params["version"] = 1
    store.save(conversation)
    report(conn, SAVED, 1)
    vars(atomic)["os"] = _PausingOs(conn)  # only in this child
    big.content = version_text(2, size)
    conversation.params["version"] = 2
    store.save(conversation)
    report(conn, ERROR)  # not reached


def hold_lock_in_save_child(directory: str, conversation_id: str, conn: Connection) -> None:
    """Start a real save and stop inside it, holding the conversation's lock, until killed."""
    from chattui.core import storage

    def blocked_write(path: Path, data: bytes, mode: int = 0o600) -> None:
        report(conn, LOCKED)
        signal.pause()

    vars(storage)["atomic_write"] = blocked_write  # only in this child
    store = ConversationStore(Path(directory))
    conversation = store.load(conversation_id)
    conversation.add(Message(Role.USER, "never saved: killed in the middle"))
    store.save(conversation)
    report(conn, ERROR)  # not reached


def next_start_child(environ: Mapping[str, str], conversation_id: str, conn: Connection) -> None:
    """Start as the app does (``Services.load``) and send one turn in a conversation."""
    from chattui.core.services import Services

    async def main() -> int:
        services = Services.load(environ=environ)
        if services.fatal:
            raise RuntimeError(services.fatal)
        services.list_conversations()
        services.connect()
        conversation = services.load_conversation(conversation_id)
        count = 0
        async for _event in services.send(conversation, "after the crash"):
            count += 1
        return count

    try:
        report(conn, BEGIN)
        report(conn, DONE, asyncio.run(main()))
    except BaseException:
        report(conn, ERROR)
        raise


def turns_child(
    directory: str, conversation_id: str, base_url: str, texts: Sequence[str], conn: Connection
) -> None:
    """Send each of ``texts`` in turn in one conversation (another process does the same)."""
    from chattui.core.session import ChatSession
    from chattui.core.turns import SaveFailed

    async def main() -> None:
        store = ConversationStore(Path(directory))
        conversation = store.load(conversation_id)
        session = ChatSession(
            store, _client(base_url), production_builder(), checkpoint_interval=CHECKPOINT_INTERVAL
        )
        report(conn, BEGIN)
        for index, text in enumerate(texts):
            async for event in session.send(conversation, text, Settings()):
                if isinstance(event, SaveFailed):
                    report(conn, SAVE_FAILED)
            report(conn, FINISHED, index)
        report(conn, DONE, len(conversation.messages))

    try:
        asyncio.run(main())
    except BaseException:
        report(conn, ERROR)
        raise


def fsize_limit_child(directory: str, limit: int, conn: Connection) -> None:
    """Under ``RLIMIT_FSIZE``: save small (fits), save big (fails), lift the limit, save big.

    Talks with the parent over a duplex pipe so that it can check the disk between steps:
    sends ("saved", None) / ("failed", message) / ("saved-after", None), waits for "go".
    """
    import resource

    from chattui.core.storage import StorageError

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    store = ConversationStore(Path(directory))
    store.prepare()
    conversation = Conversation(id="limited", title="limited")
    conversation.add(Message(Role.USER, "small question"))
    _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    store.save(conversation)
    conn.send(("saved", None))
    conversation.add(Message(Role.ASSISTANT, "x" * (limit * 4)))
    try:
        store.save(conversation)
        conn.send(("saved", None))
    except StorageError as error:
        conn.send(("failed", str(error)))
    if conn.recv() != "go":
        return
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    store.save(conversation)
    conn.send(("saved-after", None))


# --------------------------------------------------------------------------- the app (in-process)


@dataclass
class Notes:
    """Every notification the app posted: pass :meth:`hook` as ``run_test``'s message hook."""

    items: list[tuple[str, str]]
    """(severity, message)."""

    def hook(self, message: object) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            self.items.append((message.notification.severity, message.notification.message))

    def matching(self, text: str, severity: str | None = None) -> list[str]:
        return [
            message
            for level, message in self.items
            if text in message and (severity is None or level == severity)
        ]


def app_environ(
    home: Path, base_url: str | None = None, key: str | None = TEST_KEY, **extra: str
) -> dict[str, str]:
    """What ``Services.load`` reads: this CHATTUI_HOME, the server, the key, ``extra``.
    Automatic titles are off unless ``extra`` turns them on (their request would take the
    replies queued for the next turns)."""
    environ = {"CHATTUI_HOME": str(home), "CHATTUI_AUTO_TITLE": "false", **extra}
    if base_url is not None:
        environ["OPENAI_BASE_URL"] = base_url
    if key is not None:
        environ["OPENAI_API_KEY"] = key
    return environ


def make_app(environ: Mapping[str, str]) -> ChatApp:
    """A ``ChatApp`` as ``chattui`` starts it, with its client built up front (no warm-up
    thread racing the test)."""
    from chattui.core.services import Services
    from chattui.ui.app import ChatApp

    services = Services.load(environ=environ)
    services.connect()
    return ChatApp(services, warm_up=False)


async def press_now(pilot: Pilot[None], key: str) -> None:
    """Press ``key`` as the driver does, without ``pilot.press``'s wait for an idle CPU (which
    lasts as long as a reply streams)."""
    from textual import events

    event = events.Key(key, None)
    event.set_sender(pilot.app)
    pilot.app.post_message(event)
    await pilot.pause()


async def send_message(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` in the prompt, press Enter and wait for the reply to finish."""
    from chattui.ui.app import ChatApp
    from chattui.ui.widgets.prompt import PromptInput

    app = pilot.app
    assert isinstance(app, ChatApp) and app.main_screen is not None
    app.main_screen.query_one(PromptInput).insert(text)
    await press_now(pilot, "enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
