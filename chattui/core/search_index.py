"""The search index: one SQLite file in the cache dir, rebuilt from the JSON files at will.

Tables: ``conversations`` (id, title, times, and the size and mtime of the file that was
indexed, to tell what changed), ``docs`` (one row per message, plus one per title), and two
FTS5 indexes over ``docs.body``: ``docs_fts`` (trigram tokenizer: substrings of 3+ characters in
any script) and ``docs_grams`` (contentless, for 1-2 character terms; see
:mod:`chattui.core.search_text`). Each write transaction takes a block of row ids *below*
all the existing ones (ascending within the block, which FTS5 needs to write efficiently), so
reading in ascending row id order gives the newest writes first, and FTS5 can stop early:
ascending reads of a large index are several times faster than descending ones for rare
terms. Within a transaction, newer texts are written first (see :meth:`IndexDB.put`).

:class:`IndexDB` is used from one thread at a time (the writer thread, or a searching thread
under a lock). The JSON files stay the only source of truth: any problem with this file is
solved by deleting it and indexing again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from chattui.core.models import Conversation, MessageStatus, Role
from chattui.core.sanitize import sanitize_line
from chattui.core.search_text import Query, grams, snippet

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

SCHEMA = 1
"""Bump when the tables or :func:`~chattui.core.search_text.grams` change: the file is rebuilt."""

WAL_LIMIT = 64 * 1024 * 1024
"""The write-ahead log is truncated to this size after a checkpoint (it grows during builds)."""

ID_BLOCK = 1 << 24
"""Row ids reserved for one write transaction (far more than one ever writes)."""

TITLE = "title"
"""The ``role`` of a conversation's title row (its ``msg`` is empty)."""

_CREATE = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE conversations(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    mtime INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE TABLE docs(
    id INTEGER PRIMARY KEY, conv TEXT NOT NULL, msg TEXT NOT NULL, role TEXT NOT NULL,
    body TEXT NOT NULL);
CREATE INDEX docs_conv ON docs(conv);
CREATE VIRTUAL TABLE docs_fts USING fts5(
    body, content='docs', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE docs_grams USING fts5(
    grams, content='', detail='none', columnsize=0,
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


class IndexDB:
    """One connection to the index file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._next_id = 0
        self._block_end = 0

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
            db.execute("PRAGMA busy_timeout = 5000")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if not tables and not create:
                raise IndexUnusable("the index is being created")
            if not tables:
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(_CREATE)
            elif "meta" not in tables or self._schema() != str(SCHEMA):
                raise IndexUnusable("the index file is of another version")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
        except IndexUnusable:
            self.close()
            raise
        except (sqlite3.Error, OSError) as error:
            self.close()
            raise IndexUnusable(str(error)) from None

    def _schema(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        return row[0] if row else None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexUnusable("the index is not open")
        return self._db

    @property
    def is_open(self) -> bool:
        return self._db is not None

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

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

    # -- writing -----------------------------------------------------------------------------

    def indexed_files(self) -> dict[str, tuple[int, int]]:
        """Conversation id -> (mtime_ns, size) of the file as it was indexed."""
        rows = self.db.execute("SELECT id, mtime, size FROM conversations")
        return {row[0]: (row[1], row[2]) for row in rows}

    def put(self, conversation: ConversationDocs) -> None:
        """Index ``conversation`` (in the caller's transaction): only changed texts are
        written again, so saving a long conversation costs what changed in it."""
        db = self.db
        old = {
            (msg, role): (rowid, body)
            for rowid, msg, role, body in db.execute(
                "SELECT id, msg, role, body FROM docs WHERE conv = ?", (conversation.id,)
            )
        }
        wanted = [("", TITLE, conversation.title), *conversation.docs]
        for msg, role, body in reversed(wanted):  # the newest message first
            previous = old.pop((msg, role), None)
            if previous is not None:
                if previous[1] == body:
                    continue
                self._delete_doc(*previous)
            if body:
                self._insert_doc(conversation.id, msg, role, body)
        for rowid, body in old.values():
            self._delete_doc(rowid, body)
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
        rows = db.execute("SELECT id, body FROM docs WHERE conv = ?", (conversation_id,))
        for rowid, body in rows.fetchall():
            self._delete_doc(rowid, body)
        db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _insert_doc(self, conversation_id: str, msg: str, role: str, body: str) -> None:
        db = self.db
        if self._next_id >= self._block_end:
            self._new_block()
        rowid = self._next_id
        self._next_id += 1
        db.execute(
            "INSERT INTO docs(id, conv, msg, role, body) VALUES (?, ?, ?, ?, ?)",
            (rowid, conversation_id, msg, role, body),
        )
        db.execute("INSERT INTO docs_fts(rowid, body) VALUES (?, ?)", (rowid, body))
        db.execute("INSERT INTO docs_grams(rowid, grams) VALUES (?, ?)", (rowid, grams(body)))

    def _delete_doc(self, rowid: int, body: str) -> None:
        db = self.db
        db.execute(
            "INSERT INTO docs_fts(docs_fts, rowid, body) VALUES ('delete', ?, ?)", (rowid, body)
        )
        db.execute(
            "INSERT INTO docs_grams(docs_grams, rowid, grams) VALUES ('delete', ?, ?)",
            (rowid, grams(body)),
        )
        db.execute("DELETE FROM docs WHERE id = ?", (rowid,))

    def begin(self) -> None:
        """Start a write transaction (and its block of row ids, see the module docstring)."""
        self.db.execute("BEGIN IMMEDIATE")
        self._new_block()

    def _new_block(self) -> None:
        lowest = self.db.execute("SELECT min(id) FROM docs").fetchone()[0]
        self._next_id = min(lowest or 0, 0) - ID_BLOCK
        self._block_end = self._next_id + ID_BLOCK

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")

    def optimize(self) -> None:
        """Merge the FTS segments into one (after a large build: faster queries)."""
        self.db.execute("INSERT INTO docs_fts(docs_fts) VALUES ('optimize')")
        self.db.execute("INSERT INTO docs_grams(docs_grams) VALUES ('optimize')")
        with contextlib.suppress(sqlite3.Error):  # give back the space the merge used
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- searching ---------------------------------------------------------------------------

    def search(
        self, query: Query, limit: int = 50, budget: float = 1.0, snippet_width: int = 100
    ) -> SearchResult:
        """The ``limit`` conversations with the newest hits for ``query``.

        Reads matching rows newest first and keeps the first one of each conversation that
        really matches (:meth:`Query.matches`); stops after ``limit`` conversations or
        ``budget`` seconds (then the result says it is not complete).
        """
        started = time.perf_counter()
        if query.empty:
            return SearchResult(query, ())
        db = self.db
        select = "SELECT f.rowid, d.conv FROM {0} f JOIN docs d ON d.id = f.rowid"
        if query.long_match:
            sql = select.format("docs_fts") + " WHERE docs_fts MATCH ? ORDER BY f.rowid"
            rows = db.execute(sql, (query.long_match,))
        elif query.short_match:
            sql = select.format("docs_grams") + " WHERE docs_grams MATCH ? ORDER BY f.rowid"
            rows = db.execute(sql, (query.short_match,))
        else:  # only punctuation, e.g. "?!": no index serves it
            sql = "SELECT id, conv FROM docs WHERE body LIKE ? ESCAPE '\\' ORDER BY id"
            rows = db.execute(sql, (query.like,))
        found: dict[str, tuple[int, str, str, str]] = {}
        complete = True
        deadline = started + budget
        while batch := rows.fetchmany(200):
            for rowid, conversation_id in batch:
                if conversation_id in found:
                    continue
                msg, role, body = db.execute(
                    "SELECT msg, role, body FROM docs WHERE id = ?", (rowid,)
                ).fetchone()
                if query.exact or query.matches(body):
                    found[conversation_id] = (rowid, msg, role, body)
                    if len(found) >= limit:
                        break
            if len(found) >= limit or time.perf_counter() > deadline:
                complete = False
                break
        rows.close()
        hits = self._hits(query, found, snippet_width)
        return SearchResult(query, hits, complete, time.perf_counter() - started)

    def _hits(
        self, query: Query, found: dict[str, tuple[int, str, str, str]], width: int
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
        for conversation_id, (_rowid, msg, role, body) in found.items():
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
