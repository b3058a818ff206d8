"""The search index: one SQLite file in the cache dir, rebuilt from the JSON files at will.

Tables: ``conversations`` (id, title, times, and the size and mtime of the file that was
indexed, to tell what changed), ``blocks`` (a conversation's title, and its messages by
blocks of :data:`BLOCK` in their order, each block's texts compressed), and ``terms``, a
*contentless* FTS5 index of the blocks' tokens (:func:`~chattui.core.search_text.index_text`)
that keeps no positions (``detail=none``): it only says which blocks may match, and their
texts decide (the exact check and the snippet). So the index is under half the library's
size, and quick to build. Saving a long conversation writes only its changed blocks: the
title, or the last one.

Each write transaction takes a block of row ids *below* all the ones used before (ascending
within the block, which FTS5 needs to write efficiently), so reading in ascending row id
order gives the newest writes first, and the search can stop early. Within a transaction,
newer texts are written first (see :meth:`IndexDB.put`).

:class:`IndexDB` is used from one thread at a time (the writer thread, or a searching thread
under a lock). The JSON files stay the only source of truth: any problem with this file is
solved by deleting it and indexing again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chattui.core.models import SCHEMA_VERSION, Conversation, MessageStatus, Role
from chattui.core.sanitize import sanitize_line
from chattui.core.search_text import Query, index_text, snippet

__all__ = [
    "SCHEMA",
    "ConversationDocs",
    "IndexDB",
    "IndexUnusable",
    "SearchHit",
    "SearchResult",
    "docs_of",
    "is_corruption",
]

SCHEMA = 2
"""Bump when the tables or :func:`~chattui.core.search_text.index_text` change: the file is
rebuilt. 2: blocks of messages, compressed, and a contentless index of their tokens."""

WAL_LIMIT = 64 * 1024 * 1024
"""The write-ahead log is truncated to this size after a checkpoint (it grows during builds)."""

ID_BLOCK = 1 << 24
"""Row ids reserved for one write transaction (far more than one ever writes)."""

BLOCK = 64
"""Messages per indexed block: a save re-indexes the blocks that changed (usually the last)."""

TITLE = -1
"""The ``part`` of a conversation's title block."""

TITLE_ROLE = "title"
"""The ``role`` of a hit on a conversation's title (its ``message_id`` is None)."""

MAX_FILE_BYTES = 32 * 1024 * 1024
"""Larger conversation files are not indexed or read (the store does not open them either)."""

_CREATE = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE conversations(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    mtime INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE TABLE blocks(
    id INTEGER PRIMARY KEY, conv TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX blocks_conv ON blocks(conv);
CREATE VIRTUAL TABLE terms USING fts5(
    tokens, content='', detail='none', columnsize=0,
    tokenize='unicode61 remove_diacritics 0');
INSERT INTO meta VALUES('schema', '{SCHEMA}');
"""


class IndexUnusable(Exception):
    """The index file cannot be used (corrupt, wrong schema, FTS5 or trigram missing)."""


def is_corruption(error: sqlite3.Error) -> bool:
    """True if ``error`` means the file is damaged or not a database (rebuild it)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
        isinstance(error, sqlite3.DatabaseError)
        and not isinstance(error, sqlite3.OperationalError)
        and code is None
    )


@dataclass(frozen=True)
class ConversationDocs:
    """What the index stores of one conversation (taken on the saving thread: plain values)."""

    id: str
    title: str
    created: float
    updated: float
    docs: tuple[tuple[str, str, str], ...]
    """(message id, role, text) of every user and assistant message."""
    mtime: int = 0
    size: int = 0
    """The file's ``st_mtime_ns`` and ``st_size`` once saved (what a later sync compares)."""


def docs_of(
    conversation: Conversation, stat: os.stat_result | None = None, *, live: bool = False
) -> ConversationDocs:
    """The searchable parts of ``conversation`` (cheap: no copies of the texts).

    ``live``: just saved by this process, where a reply may be streaming. Such a reply is left
    out until it ends (indexing it at every checkpoint would cost time quadratic in its
    length), and the file is then recorded as unread (size 0), so that if the app stops
    before the reply's last save the next start-up indexes the file whole.
    """
    docs: list[tuple[str, str, str]] = []
    skipped = False
    for message in conversation.messages:
        if message.role is Role.SYSTEM:
            continue
        if live and message.status is MessageStatus.STREAMING:
            skipped = True
            continue
        docs.append((message.id, message.role.value, message.content))
    mtime, size = (stat.st_mtime_ns, stat.st_size) if stat and not skipped else (0, 0)
    return ConversationDocs(
        conversation.id,
        sanitize_line(conversation.title, 200),
        conversation.created,
        conversation.updated,
        tuple(docs),
        mtime,
        size,
    )


_ROLES = frozenset(role.value for role in Role)
_STATUSES = frozenset(status.value for status in MessageStatus)


def plain_docs(data: object, conversation_id: str, stat: os.stat_result) -> ConversationDocs | None:
    """:func:`docs_of` the conversation a file holds, read straight from its JSON ``data``
    (a tenth of the time :meth:`Conversation.from_dict` takes, which checks and builds every
    message: most of a build's time); None if anything is unusual (then use that)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        return None
    title, created, updated = data.get("title", ""), data.get("created"), data.get("updated")
    messages = data.get("messages")
    if not (
        isinstance(title, str)
        and isinstance(created, (int, float))
        and isinstance(updated, (int, float))
        and isinstance(messages, list)
    ):
        return None
    docs: list[tuple[str, str, str]] = []
    for message in messages:
        if not isinstance(message, dict):
            return None
        message_id, role, content = message.get("id"), message.get("role"), message.get("content")
        if (
            role not in _ROLES
            or message.get("status", "complete") not in _STATUSES
            or not isinstance(content, str)
            or not isinstance(message_id, str)
            or not message_id
        ):
            return None
        if role != "system":
            docs.append((message_id, role, content))
    return ConversationDocs(
        conversation_id,
        sanitize_line(title, 200),
        float(created),
        float(updated),
        tuple(docs),
        stat.st_mtime_ns,
        stat.st_size,
    )


@dataclass(frozen=True)
class SearchHit:
    """One conversation found, with the first (newest) matching message."""

    conversation_id: str
    title: str
    updated: float
    message_id: str | None
    """The matching message, or None if only the title matched."""
    role: str
    snippet: str
    """One line around the match (not sanitized: the UI sanitizes and highlights it)."""
    spans: tuple[tuple[int, int], ...]
    """Character ranges of the matches in :attr:`snippet`."""


@dataclass(frozen=True)
class SearchResult:
    """The answer to a query."""

    query: Query
    hits: tuple[SearchHit, ...]
    complete: bool = True
    """False if the search stopped early (limit or time budget): more may match."""
    seconds: float = 0.0


_SEP = "\x00"
"""Between the fields of a block's packed texts (a NUL in a text becomes U+FFFD)."""


def _pack(docs: tuple[tuple[str, str, str], ...]) -> bytes:
    """A block's (message id, role, text) triples, compressed (zlib's fastest level: the
    build spends its time elsewhere, and the higher levels save only a few percent)."""
    fields = [field for doc in docs for field in doc]
    text = _SEP.join(fields)
    if text.count(_SEP) != len(fields) - 1:
        text = _SEP.join(field.replace(_SEP, "\ufffd") for field in fields)
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def _unpack(data: bytes) -> list[tuple[str, str, str]]:
    fields = zlib.decompress(data).decode("utf-8", "surrogatepass").split(_SEP)
    return list(zip(fields[0::3], fields[1::3], fields[2::3], strict=False))


class IndexDB:
    """One connection to the index file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        """(device, inode) of the file when it was opened (to notice it deleted or replaced)."""
        self._next_id = 0
        self._block_end = 0
        self._lowest = 0
        """The lowest row id ever given (every new transaction takes ids below it)."""
        self.dropped = 0
        """Blocks dropped from ``blocks`` whose postings are still in ``terms``."""

    # -- opening -----------------------------------------------------------------------------

    def open(self, create: bool = True) -> None:
        """Connect and check the schema; create the file if it is missing and ``create``.

        Raises:
            IndexUnusable: the file is damaged, of another schema, or cannot hold the index.
        """
        self.close()
        try:
            exists = self.path.exists()
            if not exists and not create:
                raise IndexUnusable("no index yet")
            if not exists:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(fd)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db = db
            stat = os.stat(self.path)
            self._identity = (stat.st_dev, stat.st_ino)
            db.execute("PRAGMA busy_timeout = 5000")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if not tables and not create:
                raise IndexUnusable("the index is being created")
            if not tables:
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(_CREATE)
            elif "meta" not in tables or self._meta("schema") != str(SCHEMA):
                raise IndexUnusable("the index file is of another version")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
            self._lowest = int(self._meta("lowest") or 0)
            self.dropped = int(self._meta("dropped") or 0)
        except IndexUnusable:
            self.close()
            raise
        except (sqlite3.Error, OSError, ValueError) as error:
            self.close()
            raise IndexUnusable(str(error)) from None

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexUnusable("the index is not open")
        return self._db

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def file_replaced(self) -> bool:
        """True if the file this connection opened is gone or another file took its name
        (someone deleted the cache): what is read here is no longer what is on disk."""
        if self._identity is None:
            return False
        try:
            stat = os.stat(self.path)
        except OSError:
            return True
        return (stat.st_dev, stat.st_ino) != self._identity

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
            self._identity = None

    def interrupt(self) -> None:
        """Abort the statement running on this connection (from any thread)."""
        db = self._db
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.interrupt()

    def delete_file(self) -> None:
        """Close and remove the index file (and SQLite's side files)."""
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def fast_writes(self, fast: bool) -> None:
        """Skip fsync while building from nothing (the file is a cache: a crash meanwhile
        leaves it incomplete, and the next start completes it from the files)."""
        self.db.execute(f"PRAGMA synchronous = {'OFF' if fast else 'NORMAL'}")

    # -- writing -----------------------------------------------------------------------------

    def indexed_files(self) -> dict[str, tuple[int, int]]:
        """Conversation id -> (mtime_ns, size) of the file as it was indexed."""
        rows = self.db.execute("SELECT id, mtime, size FROM conversations")
        return {row[0]: (row[1], row[2]) for row in rows}

    def put(self, conversation: ConversationDocs) -> None:
        """Index ``conversation`` (in the caller's transaction): only changed blocks are
        written again, so saving a long conversation costs what changed in it."""
        db = self.db
        old = {
            part: (rowid, data)
            for rowid, part, data in db.execute(
                "SELECT id, part, data FROM blocks WHERE conv = ?", (conversation.id,)
            )
        }
        for part, docs in reversed(_blocks(conversation)):  # the newest first
            data = _pack(docs)
            previous = old.pop(part, None)
            if previous is not None:
                if previous[1] == data:
                    continue
                self._delete_block(*previous)
            self._insert_block(conversation.id, part, docs, data)
        for rowid, data in old.values():
            self._delete_block(rowid, data)
        db.execute(
            "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, ?, ?, ?)",
            (
                conversation.id,
                conversation.title,
                conversation.created,
                conversation.updated,
                conversation.mtime,
                conversation.size,
            ),
        )

    def put_unreadable(self, conversation_id: str, stat: os.stat_result) -> None:
        """Remember a file that could not be read, so that it is not read again until it
        changes (nothing of it is searchable)."""
        self.remove(conversation_id)
        self.db.execute(
            "INSERT OR REPLACE INTO conversations VALUES (?, '', 0, 0, ?, ?)",
            (conversation_id, stat.st_mtime_ns, stat.st_size),
        )

    def remove(self, conversation_id: str) -> None:
        """Forget a conversation (in the caller's transaction)."""
        db = self.db
        rows = db.execute("SELECT id, data FROM blocks WHERE conv = ?", (conversation_id,))
        for rowid, data in rows.fetchall():
            self._delete_block(rowid, data)
        db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _insert_block(
        self, conversation_id: str, part: int, docs: tuple[tuple[str, str, str], ...], data: bytes
    ) -> None:
        if self._next_id >= self._block_end:
            self._new_block()
        rowid = self._next_id
        self._next_id += 1
        db = self.db
        db.execute(
            "INSERT INTO blocks(id, conv, part, data) VALUES (?, ?, ?, ?)",
            (rowid, conversation_id, part, data),
        )
        db.execute("INSERT INTO terms(rowid, tokens) VALUES (?, ?)", (rowid, _tokens(docs)))

    def _delete_block(self, rowid: int, data: bytes) -> None:
        db = self.db
        # A contentless index forgets a row given the tokens it was given (in any order).
        db.execute(
            "INSERT INTO terms(terms, rowid, tokens) VALUES ('delete', ?, ?)",
            (rowid, _tokens(_unpack(data))),
        )
        db.execute("DELETE FROM blocks WHERE id = ?", (rowid,))

    def begin(self) -> None:
        """Start a write transaction (row ids are taken when first needed, see the module
        docstring)."""
        self.db.execute("BEGIN IMMEDIATE")
        self._next_id = self._block_end = 0

    def _new_block(self) -> None:
        self._lowest -= ID_BLOCK
        self._next_id, self._block_end = self._lowest, self._lowest + ID_BLOCK

    def commit(self) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('lowest', ?)", (str(self._lowest),))
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        with contextlib.suppress(sqlite3.Error, IndexUnusable, ValueError):
            self._lowest = int(self._meta("lowest") or 0)

    def optimize(self) -> None:
        """Merge the FTS segments into one (after a large build: faster queries)."""
        self.db.execute("INSERT INTO terms(terms) VALUES ('optimize')")
        with contextlib.suppress(sqlite3.Error):  # give back the space the merge used
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- searching ---------------------------------------------------------------------------

    def search(
        self, query: Query, limit: int = 50, budget: float = 1.0, snippet_width: int = 100
    ) -> SearchResult:
        """The ``limit`` conversations with the newest hits for ``query``.

        Reads the blocks that may match newest first, and keeps the newest message of the
        first block of each conversation that really matches (:meth:`Query.matches`); stops
        after ``limit`` conversations or ``budget`` seconds (then the result says it is not
        complete).
        """
        started = time.perf_counter()
        if query.empty:
            return SearchResult(query, ())
        db = self.db
        rows = self._candidates(query)
        found: dict[str, tuple[str, str, str]] = {}
        complete = True
        deadline = started + budget
        while batch := rows.fetchmany(200):
            for rowid, conversation_id in batch:
                if conversation_id in found:
                    continue
                (data,) = db.execute("SELECT data FROM blocks WHERE id = ?", (rowid,)).fetchone()
                doc = _newest_match(query, _unpack(data))
                if doc is not None:
                    found[conversation_id] = doc
                if len(found) >= limit:
                    break
            if len(found) >= limit or time.perf_counter() > deadline:
                complete = False
                break
        rows.close()
        hits = self._hits(query, found, snippet_width)
        return SearchResult(query, hits, complete, time.perf_counter() - started)

    def _candidates(self, query: Query) -> sqlite3.Cursor:
        """(row id, conversation) of every block that may match, newest first."""
        db = self.db
        if query.match:
            try:
                return db.execute(
                    "SELECT f.rowid, b.conv FROM terms f JOIN blocks b ON b.id = f.rowid "
                    "WHERE terms MATCH ? ORDER BY f.rowid",
                    (query.match,),
                )
            except sqlite3.OperationalError as error:
                if "interrupt" in str(error):
                    raise
                # A word the tokenizer splits further (a letter it takes for punctuation)
                # makes a phrase, which this index cannot answer: look at everything.
        return db.execute("SELECT id, conv FROM blocks ORDER BY id")

    def _hits(
        self, query: Query, found: dict[str, tuple[str, str, str]], width: int
    ) -> tuple[SearchHit, ...]:
        if not found:
            return ()
        ids = list(found)
        marks = ",".join("?" * len(ids))
        meta = {
            row[0]: (row[1], row[2])
            for row in self.db.execute(
                f"SELECT id, title, updated FROM conversations WHERE id IN ({marks})", ids
            )
        }
        hits: list[SearchHit] = []
        for conversation_id, (msg, role, body) in found.items():
            title, updated = meta.get(conversation_id, ("", 0.0))
            text, spans = snippet(body, query.pattern, width)
            hits.append(
                SearchHit(conversation_id, title, updated, msg or None, role, text, tuple(spans))
            )
        hits.sort(key=lambda hit: hit.updated, reverse=True)
        return tuple(hits)

    def count(self) -> int:
        """How many conversations are indexed."""
        return int(self.db.execute("SELECT count(*) FROM conversations").fetchone()[0])


def _blocks(conversation: ConversationDocs) -> list[tuple[int, tuple[tuple[str, str, str], ...]]]:
    """(part, its (message id, role, text) triples) of the title and each block of messages,
    oldest first."""
    blocks: list[tuple[int, tuple[tuple[str, str, str], ...]]] = []
    if conversation.title:
        blocks.append((TITLE, (("", TITLE_ROLE, conversation.title),)))
    docs = conversation.docs
    blocks.extend(
        (start // BLOCK, docs[start : start + BLOCK]) for start in range(0, len(docs), BLOCK)
    )
    return blocks


def _tokens(docs: Iterable[tuple[str, str, str]]) -> str:
    return index_text("\n".join(doc[2] for doc in docs))


def _newest_match(query: Query, docs: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The newest of ``docs`` that matches ``query``, if any. Only the texts where the
    longest term occurs are checked (found in the block's texts case-folded at once: many
    times quicker than checking each text, as two common words rarely meet in one)."""
    texts = [doc[2] for doc in docs]
    folded = _SEP.join(texts).casefold()
    term = max(query.folded, key=len, default="")
    candidates: list[int] = []
    number = counted = 0
    start = folded.find(term)
    while start != -1:
        number += folded.count(_SEP, counted, start)
        candidates.append(number)
        counted = folded.find(_SEP, start)  # on to the next text
        if counted == -1:
            break
        start = folded.find(term, counted)
    for number in reversed(candidates):
        if number < len(docs) and query.matches(texts[number]):
            return docs[number]
    return None
