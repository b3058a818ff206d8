"""Conversations on disk: one JSON file each, written atomically, listed through a small index.

The index (``index.json`` beside the files) caches each file's title and times keyed by its
size and modification time, so listing thousands of conversations reads only the files that
changed. It can always be rebuilt from the files. A file that cannot be read is moved aside
(``<name>.corrupt-<time>``), reported in :attr:`ConversationStore.problems`, never deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from chattui.core.atomic import atomic_write, clean_temp_files
from chattui.core.models import Conversation, FormatError, Message, MessageStatus, TitleSource
from chattui.core.problems import Problem, ProblemError, Value
from chattui.core.sanitize import sanitize_line

__all__ = [
    "LOCK_NAME",
    "LOCK_WAIT",
    "ConversationStore",
    "ConversationSummary",
    "CorruptFileError",
    "LockedError",
    "StorageError",
    "StoreListener",
    "absorb",
]

INDEX_NAME = "index.json"
INDEX_VERSION = 2
"""2: entries carry ``pinned`` and ``archived``."""
LOCK_NAME = ".save.lock"
"""The one lock file that saves take (a lock file per conversation would pile up: removing a
lock file safely is not possible while another process may be waiting on it)."""
LOCK_WAIT = 5.0
"""Seconds a save waits for the lock another instance holds before giving up (it is retried
with the next save; the text stays in memory meanwhile)."""
MAX_FILE_BYTES = 32 * 1024 * 1024
"""Larger files are not loaded (they would freeze the app); they are reported instead."""


class StorageError(ProblemError, OSError):
    """Saving or loading failed; :attr:`problem` says what, ``str()`` in English."""


class LockedError(StorageError):
    """Another process held the save lock for longer than :data:`LOCK_WAIT`."""


class CorruptFileError(StorageError):
    """A conversation file could not be read and was moved aside to :attr:`moved_to`."""

    def __init__(self, problem: Problem, moved_to: Path | None) -> None:
        super().__init__(problem)
        self.moved_to = moved_to


@dataclass(frozen=True)
class ConversationSummary:
    """What the sidebar needs of a conversation, without loading its messages."""

    id: str
    title: str
    updated: float
    created: float
    pinned: bool = False
    archived: bool = False


class StoreListener(Protocol):
    """Told of every write (e.g. the search index). Called on the writing thread: be quick."""

    def saved(self, conversation: Conversation, stat: os.stat_result) -> None: ...

    def deleted(self, conversation_id: str) -> None: ...


class ConversationStore:
    """Load, save, list, rename and delete conversations in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[Problem] = []
        """Human messages about files moved aside, for the UI to report once."""
        self._index: dict[str, dict[str, Any]] | None = None
        self._index_dirty = False
        self._index_lock = threading.RLock()
        """The index is shared by the writer thread (saves) and the caller's (listing)."""
        self._reported: set[str] = set()
        """Files left in place (too large, unreadable) already reported in :attr:`problems`."""
        self.listeners: list[StoreListener] = []
        self._own_stamp: int | None = None
        """The directory's mtime right after this store's last write there."""
        self._seen_stamp: int | None = None
        """What :meth:`directory_stamp` last told (the mtime after another's change)."""
        self.lock_wait = LOCK_WAIT
        """Longest wait for the save lock, in seconds."""
        self._deleted: set[str] = set()
        """Tombstones: conversations deleted in this process. A save that arrives after the
        delete (the last save of a reply that was streaming, a queued background save) is
        dropped, so it cannot bring the file back."""

    # -- files -------------------------------------------------------------------------------

    def path_for(self, conversation_id: str) -> Path:
        if not conversation_id or "/" in conversation_id or conversation_id.startswith("."):
            raise StorageError(Problem("storage.bad_id", {"id": repr(conversation_id)}))
        return self.directory / f"{conversation_id}.json"

    def prepare(self) -> int:
        """Create the directory and remove temp files of killed writers; return how many."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:
            raise StorageError(Problem("files.not_dir", {"path": str(self.directory)})) from None
        except OSError as error:
            raise StorageError(
                Problem("files.cannot_create", {"path": str(self.directory), "error": _why(error)})
            ) from None
        if not self.directory.is_dir():
            raise StorageError(Problem("files.not_dir", {"path": str(self.directory)}))
        for stale in self.directory.glob(".*.lock"):  # per-conversation locks of old versions
            if stale.name != LOCK_NAME:
                with contextlib.suppress(OSError):
                    stale.unlink()
        cleaned = clean_temp_files(self.directory)
        with contextlib.suppress(OSError):  # made now, not by the first save (see _wrote)
            os.close(os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600))
        self._own_stamp = self._directory_mtime()
        return cleaned

    def save(self, conversation: Conversation, *, revive: bool = False) -> int:
        """Write ``conversation`` atomically; the previous file stays intact if this fails.

        Another chattui instance may have added turns to the same file since this process
        last wrote it: under a lock, such turns are read back and merged in first, so no turn
        is ever lost. Returns how many messages were merged in that way. A conversation
        deleted in this process (see :meth:`delete`) is not written (0), unless ``revive``
        says this save means to bring it back (an import of an export of it).

        Blocking (lock, serialisation, fsync): the app calls it from a thread (see
        :mod:`chattui.core.saver`).

        Raises:
            LockedError: another instance held the lock for more than :attr:`lock_wait` s.
            StorageError: the disk is full or the write failed.
        """
        path = self.path_for(conversation.id)
        if revive:
            self._deleted.discard(conversation.id)
        if conversation.id in self._deleted:
            return 0
        try:
            if not self.directory.is_dir():
                self.prepare()
            with _FileLock(self.directory / LOCK_NAME, self.lock_wait):
                if conversation.id in self._deleted:  # deleted while this save waited
                    return 0
                merged = self._merge_from_disk(conversation, path)
                data = json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1)
                before = self._directory_mtime()
                atomic_write(path, data.encode("utf-8"), mode=0o600)
                stat = path.stat()
                self._wrote(before)
        except StorageError:
            raise
        except OSError as error:
            raise StorageError(Problem("storage.save", {"error": _why(error)})) from None
        with self._index_lock:
            self._load_index()[path.name] = _entry(conversation, stat)
            self._index_dirty = True
        for listener in self.listeners:
            listener.saved(conversation, stat)
        return merged

    def _merge_from_disk(self, conversation: Conversation, path: Path) -> int:
        """Merge in turns another instance wrote since our last write (0 if none)."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return 0
        ours = self._load_index().get(path.name)
        if ours and ours["mtime"] == stat.st_mtime_ns and ours["size"] == stat.st_size:
            return 0  # the file is as we left it
        try:
            on_disk = self._read(path)
        except CorruptFileError:
            return 0  # moved aside and reported; nothing to merge
        except StorageError:
            return 0
        merged = conversation.merge(on_disk)
        _catch_up(conversation, on_disk)
        return merged

    def load(self, conversation_id: str) -> Conversation:
        """Read one conversation.

        Raises:
            CorruptFileError: the file was unreadable and has been moved aside.
            StorageError: the file is missing or too large.
        """
        conversation = self._read(self.path_for(conversation_id))
        # A file deleted here that is back (imported again, another instance) is opened to
        # be used: its saves count again.
        self._deleted.discard(conversation_id)
        return conversation

    def _read(self, path: Path) -> Conversation:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                values: dict[str, Value] = {"name": path.name, "mb": size // (1024 * 1024)}
                raise StorageError(Problem("storage.too_large", values))
            raw = path.read_bytes()
        except FileNotFoundError:
            raise StorageError(Problem("storage.gone", {"name": path.name})) from None
        except StorageError:
            raise
        except OSError as error:
            raise StorageError(
                Problem("storage.read", {"name": path.name, "error": _why(error)})
            ) from None
        try:
            conversation = Conversation.from_dict(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, FormatError, RecursionError) as error:
            reason = _corrupt_reason(error)
            raise self._move_aside(path, reason) from None
        if path.stem != conversation.id:
            conversation.id = path.stem
        return conversation

    def _move_aside(self, path: Path, reason: Value) -> CorruptFileError:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        copy = 1
        while target.exists():  # the same name went bad twice within a second: keep both
            copy += 1
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{copy}")
        try:
            os.replace(path, target)
        except OSError:
            stuck = Problem("storage.corrupt_stuck", {"name": path.name, "reason": reason})
            self.problems.append(stuck)
            return CorruptFileError(stuck, None)
        values: dict[str, Value] = {"name": path.name, "reason": reason, "kept": target.name}
        message = Problem("storage.corrupt", values)
        self.problems.append(message)
        for listener in self.listeners:
            listener.deleted(path.stem)
        with self._index_lock:
            if self._index is not None and self._index.pop(path.name, None) is not None:
                self._index_dirty = True
        return CorruptFileError(message, target)

    def rename(self, conversation_id: str, title: str) -> Conversation:
        """Set the title (sanitized, one line) and save; it is never replaced automatically."""
        conversation = self.load(conversation_id)
        conversation.title = sanitize_line(title, 200)
        conversation.title_source = TitleSource.MANUAL
        self.save(conversation)
        return conversation

    def delete(self, conversation_id: str, *, keep_out: bool = True) -> None:
        """Remove a conversation's file.

        With ``keep_out`` (the default) the id is remembered: later saves of it are dropped
        (see :meth:`is_deleted`). Without it (the last turn of a conversation still on
        screen was deleted) the next turn may save it again.
        """
        path = self.path_for(conversation_id)
        if keep_out:
            self._deleted.add(conversation_id)
        try:
            before = self._directory_mtime()
            path.unlink(missing_ok=True)
            self._wrote(before)
        except OSError as error:
            raise StorageError(Problem("storage.delete", {"error": _why(error)})) from None
        with self._index_lock:
            if self._load_index().pop(path.name, None) is not None:
                self._index_dirty = True
        for listener in self.listeners:
            listener.deleted(conversation_id)

    def keep_out(self, conversation_id: str) -> None:
        """Drop every save of the conversation from now on (its delete is on its way)."""
        self._deleted.add(conversation_id)

    def is_deleted(self, conversation_id: str) -> bool:
        """Whether the conversation was deleted in this process (its saves are dropped)."""
        return conversation_id in self._deleted

    # -- listing -----------------------------------------------------------------------------

    BIG_INDEX: ClassVar[int] = 200_000
    """Bytes of index (~180 a conversation) above which listing takes more than ~10 ms."""

    BIG_LIBRARY: ClassVar[int] = 1000
    """Conversation files above which listing without a complete index may read many."""

    def index_is_big(self) -> bool:
        """Whether listing reads a big index (over 1,000 conversations or so), or maybe many
        files (over :attr:`BIG_LIBRARY` of them, and no index: a copied, restored or synced
        folder, where every file is read): the app then lists in a thread, after its first
        frame. Costs a stat, or counting names in the directory (no file is opened)."""
        try:
            if (self.directory / INDEX_NAME).stat().st_size > self.BIG_INDEX:
                return True
        except OSError:
            pass
        count = 0
        try:
            with os.scandir(self.directory) as entries:
                for entry in entries:
                    if entry.name.endswith(".json"):
                        count += 1
                        if count > self.BIG_LIBRARY:
                            return True
        except OSError:
            pass
        return False

    def directory_stamp(self) -> int | None:
        """What changes when another process adds, replaces (every save renames a file over)
        or removes a conversation file: the directory's modification time, except that this
        store's own writes are not counted (it knows them). A stat."""
        stamp = self._directory_mtime()
        if stamp != self._own_stamp:
            self._seen_stamp = stamp
        return self._seen_stamp

    def _directory_mtime(self) -> int | None:
        try:
            return os.stat(self.directory).st_mtime_ns
        except OSError:
            return None

    def _wrote(self, before: int | None) -> None:
        """This store just changed the directory, which had the mtime ``before`` (a write by
        another process between the two stats goes unnoticed until the next change)."""
        if before != self._own_stamp:  # another process wrote since this store last did
            self._seen_stamp = before
        self._own_stamp = self._directory_mtime()

    def list_conversations(self) -> list[ConversationSummary]:
        """Every readable conversation, newest first. Unreadable files are moved aside."""
        with self._index_lock:
            return self._list_conversations()

    def _list_conversations(self) -> list[ConversationSummary]:
        index = self._load_index()
        seen: set[str] = set()
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            entries = []
        except OSError as error:
            raise StorageError(
                Problem("storage.list", {"path": str(self.directory), "error": _why(error)})
            ) from None
        for entry in entries:
            if not entry.name.endswith(".json") or entry.name == INDEX_NAME:
                continue
            if entry.name.startswith("."):
                continue
            try:
                stat = entry.stat()
            except OSError:
                continue
            seen.add(entry.name)
            cached = index.get(entry.name)
            if cached and cached["mtime"] == stat.st_mtime_ns and cached["size"] == stat.st_size:
                continue
            try:
                conversation = self._read(Path(entry.path))
            except CorruptFileError:
                seen.discard(entry.name)  # moved aside; already in self.problems
                continue
            except StorageError as error:
                seen.discard(entry.name)
                if entry.name not in self._reported and os.path.lexists(entry.path):
                    self._reported.add(entry.name)  # too large, unreadable: say so once
                    self.problems.append(error.problem)
                continue
            index[entry.name] = _entry(conversation, stat)
            self._index_dirty = True
        for name in set(index) - seen:
            del index[name]
            self._index_dirty = True
        self.flush_index()
        summaries = [
            ConversationSummary(
                name[:-5],
                item["title"],
                item["updated"],
                item["created"],
                pinned=item.get("pinned") is True,
                archived=item.get("archived") is True,
            )
            for name, item in index.items()
        ]
        summaries.sort(key=lambda summary: summary.updated, reverse=True)
        return summaries

    def _load_index(self) -> dict[str, dict[str, Any]]:
        with self._index_lock:
            return self._load_index_locked()

    def _load_index_locked(self) -> dict[str, dict[str, Any]]:
        if self._index is not None:
            return self._index
        self._index = {}
        try:
            data = json.loads((self.directory / INDEX_NAME).read_text("utf-8"))
            if isinstance(data, dict) and data.get("version") == INDEX_VERSION:
                for name, item in data.get("files", {}).items():
                    if _valid_entry(item):
                        self._index[name] = item
        except (OSError, ValueError, AttributeError):
            pass  # the index is only a cache: rebuild it from the files
        return self._index

    def flush_index(self) -> None:
        """Write the index if it changed (failures are ignored: it is only a cache)."""
        with self._index_lock:
            self._flush_index()

    def _flush_index(self) -> None:
        if not self._index_dirty or self._index is None:
            return
        data = json.dumps({"version": INDEX_VERSION, "files": self._index}, ensure_ascii=False)
        try:
            before = self._directory_mtime()
            atomic_write(self.directory / INDEX_NAME, data.encode("utf-8"), mode=0o600)
            self._wrote(before)
            self._index_dirty = False
        except OSError:
            pass


class _FileLock:
    """An exclusive advisory lock (flock) on ``path``; the OS drops it if the process dies,
    so a killed instance never blocks the next one. A no-op where flock does not exist.

    Taken without blocking, retried with a growing pause for up to ``wait`` seconds: a hung
    instance holding it gives a clear :class:`LockedError` instead of an endless wait."""

    def __init__(self, path: Path, wait: float = LOCK_WAIT) -> None:
        self.path = path
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> _FileLock:
        if fcntl is None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.wait
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    os.close(fd)
                    values = {"path": str(self.path), "seconds": f"{self.wait:g}"}
                    raise LockedError(Problem("storage.locked", values)) from None
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.1)
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def absorb(conversation: Conversation, messages: list[Message]) -> None:
    """Bring ``conversation`` up to date with ``messages`` read from disk by a save of a copy
    of it: unknown ones are added, stale copies of replies still streaming are caught up."""
    if not messages:
        return
    holder = Conversation(
        id=conversation.id,
        title=conversation.title,
        updated=conversation.updated,
        messages=messages,
    )
    conversation.merge(holder)
    _catch_up(conversation, holder)


def _catch_up(conversation: Conversation, on_disk: Conversation) -> None:
    """Bring stale copies up to date: a reply merged in while another instance was streaming
    it is held here as it was then; once that instance saved more of it (or finished it), take
    the newer state, or this save would write the old one back over it. Updated in place: the
    session streaming a reply holds that very object."""
    mine = {message.id: message for message in conversation.messages}
    for theirs in on_disk.messages:
        ours = mine.get(theirs.id)
        if ours is None or ours is theirs or ours.status is not MessageStatus.STREAMING:
            continue
        if theirs.status is MessageStatus.STREAMING and not (
            len(theirs.content) > len(ours.content) and theirs.content.startswith(ours.content)
        ):
            continue
        ours.content = theirs.content
        ours.status = theirs.status
        ours.error = theirs.error
        ours.problem = theirs.problem
        ours.usage = theirs.usage


def _entry(conversation: Conversation, stat: os.stat_result) -> dict[str, Any]:
    return {
        "mtime": stat.st_mtime_ns,
        "size": stat.st_size,
        "title": sanitize_line(conversation.title, 200),
        "updated": conversation.updated,
        "created": conversation.created,
        "pinned": conversation.pinned,
        "archived": conversation.archived,
    }


def _valid_entry(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("mtime"), int)
        and isinstance(item.get("size"), int)
        and isinstance(item.get("title"), str)
        and isinstance(item.get("updated"), int | float)
        and isinstance(item.get("created"), int | float)
    )


def _why(error: OSError) -> str:
    """The system's words for an OS error (``No space left on device``...)."""
    return error.strerror or str(error)


def _corrupt_reason(error: Exception) -> Value:
    """Why a conversation file cannot be read, as a problem worded where it is shown."""
    if isinstance(error, UnicodeDecodeError):
        return Problem("storage.not_utf8")
    if isinstance(error, json.JSONDecodeError):
        values: dict[str, Value] = {"line": error.lineno, "column": error.colno}
        return Problem("storage.not_json", {**values, "error": error.msg[:100]})
    if isinstance(error, FormatError):
        return error.problem
    return Problem("format.too_deep")
