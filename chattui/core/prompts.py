"""Prompt history (every prompt sent, across conversations) and per-conversation drafts.

Both are small JSON files in the data dir, written atomically and read tolerantly: a missing
or unreadable file is an empty history, never an error in the user's face. The UI calls
:meth:`PromptHistory.save` and :meth:`Drafts.save` off the event loop.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from chattui.core.atomic import atomic_write
from chattui.core.sanitize import clean_surrogates

__all__ = ["HISTORY_LIMIT", "HISTORY_TEXT_LIMIT", "Drafts", "PromptHistory"]

HISTORY_LIMIT = 1_000
"""Prompts kept in the history (the oldest are dropped)."""
HISTORY_TEXT_LIMIT = 100_000
"""Prompts longer than this (huge pastes) are not kept in the history."""


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(data, ensure_ascii=False, indent=0)
    atomic_write(path, clean_surrogates(text).encode("utf-8"), mode=0o600)


class PromptHistory:
    """The prompts sent, oldest first, shared by every conversation.

    Args:
        path: The JSON file (a list of strings).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        data = _read_json(path)
        items = data if isinstance(data, list) else []
        self.entries: list[str] = [item for item in items if isinstance(item, str)][-HISTORY_LIMIT:]

    def add(self, text: str) -> bool:
        """Remember ``text`` as the newest prompt; False if it is not kept (blank, huge)."""
        if not text.strip() or len(text) > HISTORY_TEXT_LIMIT:
            return False
        with self._lock:
            if text in self.entries:
                self.entries.remove(text)  # a repeated prompt moves to the front
            self.entries.append(text)
            del self.entries[:-HISTORY_LIMIT]
        return True

    def newest_first(self) -> list[str]:
        """The prompts, newest first."""
        return self.entries[::-1]

    def save(self) -> None:
        """Write the history (raises OSError on failure)."""
        with self._lock:
            entries = list(self.entries)
        _write_json(self.path, entries)


class Drafts:
    """Unsent prompt text per conversation id (``""`` is the new conversation).

    Args:
        path: The JSON file (an object of id -> text).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        data = _read_json(path)
        items = data if isinstance(data, dict) else {}
        self._drafts: dict[str, str] = {
            key: value
            for key, value in items.items()
            if isinstance(key, str) and isinstance(value, str) and value
        }
        self.dirty = False
        """True when the drafts changed since the last :meth:`save`."""

    def get(self, conversation_id: str) -> str:
        """The draft of ``conversation_id`` (empty if none)."""
        return self._drafts.get(conversation_id, "")

    def set(self, conversation_id: str, text: str) -> None:
        """Keep ``text`` as the draft of ``conversation_id`` (empty text removes it)."""
        with self._lock:
            if self._drafts.get(conversation_id, "") == text:
                return
            if text:
                self._drafts[conversation_id] = text
            else:
                self._drafts.pop(conversation_id, None)
            self.dirty = True

    def save(self) -> None:
        """Write the drafts if they changed (raises OSError on failure)."""
        with self._lock:
            if not self.dirty:
                return
            drafts = dict(self._drafts)
            self.dirty = False
        try:
            _write_json(self.path, drafts)
        except OSError:
            self.dirty = True
            raise
