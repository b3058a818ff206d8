"""Full-text search over every conversation, kept up to date off the UI's event loop.

:class:`SearchIndex` listens to the :class:`~chattui.core.storage.ConversationStore`: a save
hands it the conversation's texts (references, no copies; microseconds) and a writer thread
indexes them. Several saves of one conversation before the thread gets to it (a streaming
reply's checkpoints) are indexed once. :meth:`SearchIndex.sync` compares the files on disk with
what was indexed and indexes what changed, so the index is never stale for long: it runs at
start-up and whenever search is opened. A missing, damaged or outdated index file is deleted
and built again from the JSON files, which stay the only source of truth.

:meth:`SearchIndex.search` runs on the caller's thread (the UI calls it from a thread worker);
:meth:`SearchIndex.cancel_search` interrupts it from another thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chattui.core.models import Conversation, FormatError

if TYPE_CHECKING:
    from chattui.core.search_index import ConversationDocs, IndexDB, SearchResult

# The index's modules (sqlite3, the query parser) are imported when it is first used, after the
# app's first frame: the store only needs a SearchIndex to tell it of saves.

__all__ = ["INDEX_NAME", "IndexStatus", "SearchCancelled", "SearchIndex"]

INDEX_NAME = "search.sqlite3"
"""The index file's name in the cache dir."""

SYNC_BATCH = 500
"""Files indexed per transaction while indexing many (searches see the progress). Big
transactions make the build quicker (a third less time than 50 a transaction): the index
writes fewer, larger segments and merges them less."""

OPTIMIZE_AFTER = 2000
"""Merge the index segments after indexing at least this many files in one sync."""

log = logging.getLogger(__name__)


class SearchCancelled(Exception):
    """The search was interrupted by :meth:`SearchIndex.cancel_search`."""


@dataclass(frozen=True)
class IndexStatus:
    """What the writer is doing, for the UI."""

    indexing: bool
    """True while files are being (re)indexed: results may be incomplete."""
    done: int
    total: int
    error: str | None
    """Why the index cannot be used or updated, if it cannot."""


class SearchIndex:
    """The search index of one conversations directory (see the module docstring)."""

    def __init__(self, path: Path, conversations_dir: Path) -> None:
        self.path = path
        self.conversations_dir = conversations_dir
        self._lock = threading.Condition()
        self._pending: dict[str, ConversationDocs | None] = {}
        """Conversation id -> texts to index, or None to forget it."""
        self._want_sync = False
        self._want_rebuild = False
        self._stopping = False
        self._busy = False
        self._thread: threading.Thread | None = None
        self._generation = 0
        """Incremented whenever the file is replaced (readers reopen it)."""
        self._done = 0
        self._total = 0
        self._error: str | None = None
        self._connections: tuple[IndexDB, IndexDB] | None = None
        """The writer thread's connection and the searches', made when first needed."""
        self._connections_lock = threading.Lock()
        self._reader_generation = -1
        self._read_lock = threading.Lock()

    def _dbs(self) -> tuple[IndexDB, IndexDB]:
        with self._connections_lock:
            if self._connections is None:
                from chattui.core.search_index import IndexDB

                self._connections = (IndexDB(self.path), IndexDB(self.path))
            return self._connections

    @property
    def _writer(self) -> IndexDB:
        """The writer thread's connection."""
        return self._dbs()[0]

    @property
    def _reader(self) -> IndexDB:
        """The searches' connection."""
        return self._dbs()[1]

    # -- the store's listener (called on the saving thread: must stay cheap) ------------------

    def saved(self, conversation: Conversation, stat: os.stat_result) -> None:
        """Index ``conversation`` soon (it has just been written)."""
        from chattui.core.search_index import docs_of

        self._enqueue(conversation.id, docs_of(conversation, stat, live=True))

    def deleted(self, conversation_id: str) -> None:
        """Forget a conversation soon (its file is gone)."""
        self._enqueue(conversation_id, None)

    def _enqueue(self, conversation_id: str, docs: ConversationDocs | None) -> None:
        with self._lock:
            self._pending[conversation_id] = docs
            self._lock.notify_all()

    # -- control -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread and bring the index up to date with the files."""
        with self._lock:
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(
                    target=self._run, name="chattui-search-index", daemon=True
                )
                self._thread.start()
        self.sync()

    def sync(self) -> None:
        """Index what changed on disk since the last sync (in the background)."""
        with self._lock:
            self._want_sync = True
            self._lock.notify_all()

    def rebuild(self) -> None:
        """Delete the index and build it again from the files (in the background)."""
        with self._lock:
            self._want_rebuild = True
            self._lock.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the writer (work in progress is committed) and close the files."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
            thread = self._thread
        self._writer.interrupt()  # a long merge is given up (it is redone later)
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            self._thread = None
        self.cancel_search()
        with self._read_lock:
            self._reader.close()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every queued change is indexed; False on timeout (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._has_work() or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._thread is None:
                    return False
                self._lock.wait(remaining)
        return True

    @property
    def running(self) -> bool:
        """True once :meth:`start` started the writer (until :meth:`close`)."""
        return self._thread is not None

    @property
    def status(self) -> IndexStatus:
        with self._lock:
            indexing = self._busy and self._total > 0
            return IndexStatus(indexing, self._done, self._total, self._error)

    # -- searching (caller's thread) ---------------------------------------------------------

    def search(self, text: str, limit: int = 50, budget: float = 1.0) -> SearchResult:
        """Conversations matching ``text`` (see :meth:`IndexDB.search`). Blocking.

        Raises:
            SearchCancelled: :meth:`cancel_search` was called meanwhile.
        """
        import sqlite3

        from chattui.core.search_index import IndexUnusable, SearchResult, is_corruption
        from chattui.core.search_text import parse_query

        query = parse_query(text)
        if query.empty:
            return SearchResult(query, ())
        with self._read_lock:
            try:
                reader = self._reader
                if (
                    self._reader_generation != self._generation
                    or not reader.is_open
                    or reader.file_replaced
                ):
                    self._reader_generation = self._generation
                    reader.open(create=False)
                return reader.search(query, limit, budget)
            except IndexUnusable:
                self._reader.close()
                if self._writer.file_replaced:
                    self.sync()  # someone deleted the file: the writer makes it again
                return SearchResult(query, (), complete=False)
            except sqlite3.Error as error:
                self._reader.close()
                if "interrupt" in str(error):
                    raise SearchCancelled from None
                if is_corruption(error):
                    self.rebuild()
                return SearchResult(query, (), complete=False)

    def cancel_search(self) -> None:
        """Interrupt the search running on another thread, if any."""
        self._reader.interrupt()

    # -- the writer thread -------------------------------------------------------------------

    def _has_work(self) -> bool:
        return bool(self._pending) or self._want_sync or self._want_rebuild

    def _run(self) -> None:
        db = self._writer
        try:
            while True:
                with self._lock:
                    while not self._has_work() and not self._stopping:
                        self._lock.wait()
                    if self._stopping:
                        return
                    rebuild, self._want_rebuild = self._want_rebuild, False
                    sync, self._want_sync = self._want_sync, False
                    self._busy = True
                try:
                    self._work(db, rebuild, sync)
                except Exception as error:  # never let the thread die: searches would go stale
                    if self._stopping:
                        return  # interrupted by close(): the work is redone at the next start
                    log.warning("search index: %s", type(error).__name__, exc_info=True)
                    with self._lock:
                        self._error = str(error) or type(error).__name__
                        self._pending.clear()
                finally:
                    with self._lock:
                        self._busy = False
                        self._total = self._done = 0
                        self._lock.notify_all()
        finally:
            db.close()

    def _work(self, db: IndexDB, rebuild: bool, sync: bool) -> None:
        import sqlite3

        from chattui.core.search_index import is_corruption

        try:
            if rebuild:
                self._recreate(db)
                sync = True
            elif not db.is_open or db.file_replaced:  # not yet, or someone deleted the file
                self._open(db)
                sync = True
            if sync:
                self._sync(db)
            self._apply_pending(db)
            self._error = None
        except sqlite3.Error as error:
            db.rollback()
            if not is_corruption(error):
                raise
            log.warning("search index damaged (%s): rebuilding it", error)
            self._recreate(db)
            self._sync(db)
            self._apply_pending(db)

    def _open(self, db: IndexDB) -> None:
        from chattui.core.search_index import IndexUnusable

        with self._lock:
            self._generation += 1  # the searches reopen it too
        try:
            db.open()
        except IndexUnusable:
            self._recreate(db)

    def _recreate(self, db: IndexDB) -> None:
        db.delete_file()
        with self._lock:
            self._generation += 1
        db.open()  # IndexUnusable here (no FTS5, unwritable dir) ends in self._error

    def _sync(self, db: IndexDB) -> None:
        files = scan_files(self.conversations_dir)
        indexed = db.indexed_files()
        stale, gone = changed_files(files, indexed)
        with self._lock:
            self._total, self._done = len(stale), 0
        db.begin()
        for conversation_id in gone:
            db.remove(conversation_id)
        db.commit()
        db.fast_writes(not indexed)  # building from nothing: see IndexDB.fast_writes
        try:
            self._index_files(db, files, stale)
        finally:
            db.fast_writes(False)

    def _index_files(self, db: IndexDB, files: dict[str, os.stat_result], stale: list[str]) -> None:
        # Oldest batch first, newest conversation first within a batch: each transaction's
        # row ids come below the previous ones, so reading in row id order sees the newest first.
        for start in range(0, len(stale), SYNC_BATCH):
            batch = stale[start : start + SYNC_BATCH]
            db.begin()
            for conversation_id in reversed(batch):
                stat = files[conversation_id]
                docs = read_docs(self.conversations_dir / f"{conversation_id}.json", stat)
                if docs is None:
                    db.put_unreadable(conversation_id, stat)
                else:
                    db.put(docs)
            db.commit()
            with self._lock:
                self._done = start + len(batch)
                if self._stopping:
                    return
        if len(stale) >= OPTIMIZE_AFTER:
            db.optimize()

    def _apply_pending(self, db: IndexDB) -> None:
        while True:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return
            db.begin()
            for conversation_id, docs in reversed(pending.items()):  # newest first
                if docs is None:
                    db.remove(conversation_id)
                else:
                    db.put(docs)
            db.commit()


def read_docs(path: Path, stat: os.stat_result) -> ConversationDocs | None:
    """Read a conversation file for indexing; None if it is unreadable (the store reports it)."""
    from chattui.core.search_index import MAX_FILE_BYTES, docs_of, plain_docs

    if stat.st_size > MAX_FILE_BYTES:
        return None
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        docs = plain_docs(data, path.stem, stat)  # most files: without the model's checks
        if docs is not None:
            return docs
        conversation = Conversation.from_dict(data)
    except (OSError, UnicodeDecodeError, ValueError, FormatError, RecursionError):
        return None
    conversation.id = path.stem
    return docs_of(conversation, stat)


def scan_files(directory: Path) -> dict[str, os.stat_result]:
    """Conversation id -> stat of every conversation file in ``directory``."""
    files: dict[str, os.stat_result] = {}
    try:
        entries: Iterable[os.DirEntry[str]] = list(os.scandir(directory))
    except OSError:
        return files
    for entry in entries:
        name = entry.name
        if not name.endswith(".json") or name.startswith(".") or name == "index.json":
            continue
        with contextlib.suppress(OSError):
            files[name[:-5]] = entry.stat()
    return files


def changed_files(
    files: dict[str, os.stat_result], indexed: dict[str, tuple[int, int]]
) -> tuple[list[str], list[str]]:
    """(ids to index, oldest first; ids to forget) for the files on disk vs the index."""
    stale = [
        conversation_id
        for conversation_id, stat in files.items()
        if indexed.get(conversation_id) != (stat.st_mtime_ns, stat.st_size)
    ]
    stale.sort(key=lambda conversation_id: files[conversation_id].st_mtime_ns)
    gone = [conversation_id for conversation_id in indexed if conversation_id not in files]
    return stale, gone
