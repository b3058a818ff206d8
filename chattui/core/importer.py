"""Conversations into chattui: our own JSON export, and the official ChatGPT data export.

A file is read and checked completely before anything is written: a malformed file imports
nothing and gets a message naming the file, the conversation and what is wrong. Conversations
already in the store (same id: ours keep theirs, ChatGPT's keep their source id) are skipped,
so importing the same file twice adds nothing. If a write fails half-way, the conversations
written by that import are removed again.
"""

from __future__ import annotations

import contextlib
import json
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chattui.core.chatgpt import chatgpt_conversation, is_chatgpt_conversation
from chattui.core.models import Conversation, FormatError
from chattui.core.problems import Problem, ProblemError, Value
from chattui.core.storage import ConversationStore, StorageError

__all__ = [
    "ImportError_",
    "ImportReport",
    "ParsedFile",
    "import_conversations",
    "import_files",
    "read_import_file",
]

CHATGPT_FILE = "conversations.json"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,120}$")


class ImportError_(ProblemError, ValueError):
    """A file cannot be imported; :attr:`problem` names the file and what is wrong."""


@dataclass
class ParsedFile:
    """The conversations read from one file, ready to be saved."""

    path: Path
    conversations: list[Conversation]
    skipped_parts: dict[str, int] = field(default_factory=dict)
    """Conversation id -> images, files and tool output not imported (a note marks each)."""


@dataclass
class ImportReport:
    """What an import did."""

    conversations: int = 0
    messages: int = 0
    duplicates: int = 0
    """Conversations that were already there (skipped)."""
    skipped_parts: int = 0
    empty: int = 0
    """Exported conversations without a single visible message (skipped)."""
    errors: list[Problem] = field(default_factory=list)
    """One message per file that imported nothing."""
    files: list[tuple[str, ImportReport]] = field(default_factory=list)
    """Each file imported, with what it brought (the front ends word it)."""

    def summary(self) -> str:
        """``Imported 3 conversations (41 messages); 2 already there.``"""
        conversations = _counted(self.conversations, "conversation")
        text = f"Imported {conversations} ({_counted(self.messages, 'message')})"
        extras = []
        if self.duplicates:
            extras.append(f"{self.duplicates} already there, skipped")
        if self.empty:
            extras.append(f"{self.empty} empty, skipped")
        if self.skipped_parts:
            parts = self.skipped_parts
            what = "image, file or tool output" if parts == 1 else "images, files or tool outputs"
            extras.append(f"{parts} {what} left out")
        return text + ("; " + "; ".join(extras) if extras else "") + "."


def _counted(count: int, noun: str) -> str:
    """``1 message``, ``2 messages`` (the command line speaks English)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _load_json(path: Path) -> Any:
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == CHATGPT_FILE]
                if not names:
                    raise ImportError_(_problem("import.zip_empty", path, name=CHATGPT_FILE))
                raw = archive.read(min(names, key=len))
        else:
            raw = path.read_bytes()
    except ImportError_:
        raise
    except zipfile.BadZipFile as error:
        raise ImportError_(_problem("import.zip_bad", path, error=str(error))) from None
    except FileNotFoundError:
        raise ImportError_(_problem("import.missing", path)) from None
    except IsADirectoryError:
        raise ImportError_(_problem("import.is_dir", path)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ImportError_(_problem("import.read", path, error=reason)) from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportError_(_problem("import.not_utf8", path)) from None
    except json.JSONDecodeError as error:
        where: dict[str, Value] = {"line": error.lineno, "column": error.colno, "error": error.msg}
        raise ImportError_(_problem("import.not_json", path, **where)) from None
    except RecursionError:
        raise ImportError_(_problem("import.too_deep", path)) from None


def _ours(item: Mapping[str, Any]) -> Conversation:
    conversation = Conversation.from_dict(item)
    if not _SAFE_ID.match(conversation.id):
        raise FormatError("bad_id", id=repr(conversation.id)[:60])
    return conversation


def _problem(code: str, path: Path, **values: Value) -> Problem:
    return Problem(code, {"path": str(path), **values})


def _describe(index: int, item: object) -> Problem:
    title = item.get("title") if isinstance(item, Mapping) else None
    if isinstance(title, str) and title:
        return Problem("import.where_titled", {"n": index + 1, "title": title[:60]})
    return Problem("import.where", {"n": index + 1})


def _where(data: object, index: int, item: object) -> Problem:
    return _describe(index, item) if isinstance(data, list) else Problem("import.the_conversation")


def read_import_file(path: Path) -> ParsedFile:
    """Read and check every conversation in ``path`` (our JSON, or a ChatGPT export as
    ``conversations.json`` or the ``.zip`` holding it).

    Raises:
        ImportError_: the file cannot be read or any conversation in it is malformed.
    """
    data = _load_json(path)
    items = data if isinstance(data, list) else [data]
    parsed = ParsedFile(path, [])
    for index, item in enumerate(items):
        try:
            if is_chatgpt_conversation(item):
                conversation, skipped = chatgpt_conversation(item)
                parsed.skipped_parts[conversation.id] = skipped
            elif isinstance(item, Mapping) and "schema" in item:
                conversation = _ours(item)
            else:
                raise ImportError_(
                    _problem(
                        "import.bad_item",
                        path,
                        where=_where(data, index, item),
                        error=Problem("import.neither"),
                    )
                )
        except (FormatError, RecursionError) as error:
            where = _where(data, index, item)
            why = error.problem if isinstance(error, FormatError) else Problem("format.too_deep")
            raise ImportError_(_problem("import.bad_item", path, where=where, error=why)) from None
        parsed.conversations.append(conversation)
    return parsed


Progress = Callable[[int, int], None]
"""Told ``(done, total)`` conversations of a file: at 0 once the file is read, then after each."""


def import_conversations(
    store: ConversationStore, parsed: ParsedFile, progress: Progress | None = None
) -> ImportReport:
    """Save the conversations of ``parsed`` that the store does not have yet.

    Args:
        store: Where they go.
        parsed: The file, read and checked.
        progress: Told how far it is (from the calling thread).

    Raises:
        StorageError: a write failed; the conversations this call wrote were removed again.
    """
    report = ImportReport()
    written: list[str] = []
    seen: set[str] = set()
    total = len(parsed.conversations)
    try:
        for done, conversation in enumerate(parsed.conversations):
            if progress is not None:
                progress(done, total)
            if conversation.id in seen or store.path_for(conversation.id).exists():
                report.duplicates += 1
                continue
            seen.add(conversation.id)
            if not conversation.messages:
                report.empty += 1
                continue
            store.save(conversation, revive=True)  # even if deleted earlier in this run
            written.append(conversation.id)
            report.conversations += 1
            report.messages += len(conversation.messages)
            report.skipped_parts += parsed.skipped_parts.get(conversation.id, 0)
    except StorageError:
        for conversation_id in written:
            with contextlib.suppress(StorageError):
                store.delete(conversation_id, keep_out=False)
        raise
    finally:
        store.flush_index()
    if progress is not None:
        progress(total, total)
    return report


def import_files(
    store: ConversationStore, paths: Sequence[Path], progress: Progress | None = None
) -> ImportReport:
    """Import every file in ``paths``; a bad file is reported in ``errors`` and imports
    nothing, the others are imported all the same. ``progress`` is told how far each file is."""
    total = ImportReport()
    for path in paths:
        try:
            parsed = read_import_file(path)
            report = import_conversations(store, parsed, progress)
        except ImportError_ as error:
            total.errors.append(error.problem)
            continue
        except StorageError as error:
            total.errors.append(_problem("import.storage", path, error=error.problem))
            continue
        total.files.append((str(path), report))
        total.conversations += report.conversations
        total.messages += report.messages
        total.duplicates += report.duplicates
        total.skipped_parts += report.skipped_parts
        total.empty += report.empty
    return total
