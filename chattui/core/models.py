"""Conversation and message data, with a versioned dict form for JSON. No I/O here."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from chattui.core.problems import Problem, ProblemError, Value
from chattui.core.sanitize import clean_surrogates

__all__ = [
    "SCHEMA_VERSION",
    "Conversation",
    "FormatError",
    "Message",
    "MessageStatus",
    "Role",
    "TitleSource",
    "Usage",
    "new_id",
]

SCHEMA_VERSION = 1


class FormatError(ProblemError, ValueError):
    """A conversation dict does not have the expected shape (:attr:`problem` says how, as a
    ``format.*`` problem: worded in the user's language where it is shown)."""

    def __init__(self, code: str, **values: Value) -> None:
        super().__init__(Problem(f"format.{code}", values))


class Role(str, Enum):
    """Who wrote a message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class MessageStatus(str, Enum):
    """How far a message got."""

    COMPLETE = "complete"
    STREAMING = "streaming"
    """Being written; a file left in this state after a crash holds a partial reply."""
    STOPPED = "stopped"
    ERROR = "error"


class TitleSource(str, Enum):
    """Where a conversation's title came from (a manual rename is never overwritten)."""

    NONE = ""
    PROMPT = "prompt"
    """The first prompt, until the model suggests a title."""
    AUTO = "auto"
    """Suggested by the model after the first reply."""
    MANUAL = "manual"


def new_id() -> str:
    """A short, sortable, unique id (time prefix + random suffix)."""
    return f"{time.time_ns() // 1_000_000:x}{os.urandom(4).hex()}"


@dataclass
class Usage:
    """Token usage that the server reported for one reply."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        return cls(
            prompt_tokens=_int(data, "prompt_tokens"),
            completion_tokens=_int(data, "completion_tokens"),
            total_tokens=_int(data, "total_tokens"),
        )


@dataclass
class Message:
    """One turn in a conversation."""

    role: Role
    content: str
    id: str = field(default_factory=new_id)
    parent_id: str | None = None
    """The message this one answers or follows (branches later need no migration)."""
    created: float = field(default_factory=time.time)
    model: str | None = None
    status: MessageStatus = MessageStatus.COMPLETE
    error: str | None = None
    """The failure (status ``error``) or a note (e.g. cut short), in English."""
    problem: Problem | None = None
    """The same as data, for front ends to word in the user's language."""
    usage: Usage | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "parent_id": self.parent_id,
            "role": self.role.value,
            "content": clean_surrogates(self.content),
            "created": self.created,
            "model": self.model,
            "status": self.status.value,
        }
        if self.error is not None:
            data["error"] = clean_surrogates(self.error)
        if self.problem is not None:
            data["problem"] = self.problem.to_dict()
        if self.usage is not None:
            data["usage"] = self.usage.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        if not isinstance(data, Mapping):
            raise FormatError("message_not_object")
        role = _choice(data, "role", Role, None)
        status = _choice(data, "status", MessageStatus, "complete")
        usage = data.get("usage")
        return cls(
            role=role,
            content=_str(data, "content"),
            id=_str(data, "id") or new_id(),
            parent_id=_opt_str(data, "parent_id"),
            created=_float(data, "created"),
            model=_opt_str(data, "model"),
            status=status,
            error=_opt_str(data, "error"),
            problem=Problem.from_dict(data.get("problem")),
            usage=Usage.from_dict(usage) if isinstance(usage, Mapping) else None,
        )


@dataclass
class Conversation:
    """A titled list of messages with the parameters it was held with."""

    id: str = field(default_factory=new_id)
    title: str = ""
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    model: str | None = None
    """The model chosen for this conversation; ``None`` follows the default model."""
    system_prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    """Request parameters set for this conversation (``temperature``, ``max_tokens``); a
    missing key follows the default from the settings."""
    messages: list[Message] = field(default_factory=list)
    current_leaf: str | None = None
    """Id of the last message of the branch on screen."""
    title_source: TitleSource = TitleSource.NONE
    pinned: bool = False
    """Listed first in the sidebar."""
    archived: bool = False
    """Hidden from the sidebar unless archived conversations are shown."""
    shown_children: dict[str, str] = field(default_factory=dict)
    """Parent id ("" for the roots) -> id of its child last shown, so that going back to an
    alternative shows the branch below it that was last viewed (not the newest one)."""
    known_ids: set[str] = field(default_factory=set, compare=False, repr=False)
    """Ids of every message this process has seen in the conversation (not saved). A message
    on disk whose id is not here was written by another instance, and is merged in."""

    def add(self, message: Message, *, root: bool = False) -> Message:
        """Append ``message`` to the current branch (after :attr:`current_leaf`, or as a new
        root if ``root``) and make it the leaf."""
        if message.parent_id is None and not root:
            message.parent_id = self._leaf_id()
        self.messages.append(message)
        self.known_ids.add(message.id)
        self.current_leaf = message.id
        self.updated = time.time()
        return message

    def find(self, message_id: str) -> Message | None:
        """The message with ``message_id``, if any."""
        for message in reversed(self.messages):
            if message.id == message_id:
                return message
        return None

    # -- the message tree ---------------------------------------------------------------------
    # Every message names its parent; regenerating a reply or editing a prompt adds a sibling,
    # so the messages form a tree and ``current_leaf`` picks the branch on screen.

    def _leaf_id(self) -> str | None:
        """The current leaf, or the last message if the recorded leaf is missing."""
        if self.current_leaf is not None and self.find(self.current_leaf) is not None:
            return self.current_leaf
        return self.messages[-1].id if self.messages else None

    def branch(self) -> list[Message]:
        """The messages of the branch on screen, from the root to :attr:`current_leaf`."""
        return self.path_to(self._leaf_id())

    def path_to(self, message_id: str | None) -> list[Message]:
        """The messages from the root down to ``message_id`` (none for None)."""
        by_id = {message.id: message for message in self.messages}
        path: list[Message] = []
        seen: set[str] = set()
        node = by_id.get(message_id or "")
        while node is not None and node.id not in seen:  # a cycle in a hand-edited file
            seen.add(node.id)
            path.append(node)
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        path.reverse()
        return path

    def children(self, parent_id: str | None) -> list[Message]:
        """The messages that follow ``parent_id`` (None: the roots), oldest first."""
        return self.children_map().get(parent_id, [])

    def children_map(self) -> dict[str | None, list[Message]]:
        """Parent id -> children in list order; a message whose parent is unknown is a root."""
        ids = {message.id for message in self.messages}
        children: dict[str | None, list[Message]] = {}
        for message in self.messages:
            parent = message.parent_id if message.parent_id in ids else None
            children.setdefault(parent, []).append(message)
        return children

    def alternatives(self, message: Message) -> list[Message]:
        """``message`` and its siblings of the same role (regenerated replies, edited
        prompts), oldest first."""
        siblings = self.children(message.parent_id)
        return [m for m in siblings if m.role is message.role] or [message]

    def leaf_under(self, message: Message, *, last_shown: bool = False) -> Message:
        """The end of the newest branch below ``message`` (``message`` if it has no children);
        with ``last_shown``, of the branch last shown below it (the newest where none was)."""
        children = self.children_map()
        seen = {message.id}
        while True:
            later = [m for m in children.get(message.id, []) if m.id not in seen]
            if not later:
                return message
            shown = self.shown_children.get(message.id) if last_shown else None
            newest = max(later, key=lambda m: m.created)
            message = next((m for m in later if m.id == shown), newest)
            seen.add(message.id)

    def switch_alternative(self, message: Message, step: int) -> Message | None:
        """Show the alternative ``step`` places from ``message`` and, below it, the branch
        last shown there (else the newest); return that alternative, or None if there is
        none that far."""
        alternatives = self.alternatives(message)
        index = next(i for i, m in enumerate(alternatives) if m.id == message.id) + step
        if not 0 <= index < len(alternatives):
            return None
        self._remember_branch()
        chosen = alternatives[index]
        self.current_leaf = self.leaf_under(chosen, last_shown=True).id
        self._remember_branch()
        return chosen

    def _remember_branch(self) -> None:
        """Record which child each message of the branch on screen shows."""
        parent = ""
        for message in self.branch():
            self.shown_children[parent] = message.id
            parent = message.id

    def subtree(self, message: Message) -> list[Message]:
        """``message`` and every message below it, in list order."""
        children = self.children_map()
        ids = {message.id}
        stack = [message.id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child.id not in ids:
                    ids.add(child.id)
                    stack.append(child.id)
        return [m for m in self.messages if m.id in ids]

    def remove_turn(self, message: Message) -> list[Message]:
        """Delete ``message`` and everything below it (a reply whose prompt is left with no
        other reply takes the prompt with it); show a remaining branch. Returns the removed."""
        top = message
        if message.role is Role.ASSISTANT and message.parent_id is not None:
            parent = self.find(message.parent_id)
            if (
                parent is not None
                and parent.role is Role.USER
                and len(self.children(parent.id)) == 1
            ):
                top = parent
        removed = self.subtree(top)
        gone = {m.id for m in removed}
        on_branch = any(m.id in gone for m in self.branch())
        siblings = [m for m in self.alternatives(top) if m.id not in gone]
        self.messages = [m for m in self.messages if m.id not in gone]
        if on_branch:
            if siblings:
                self.current_leaf = self.leaf_under(siblings[-1]).id
            elif top.parent_id is not None and self.find(top.parent_id) is not None:
                self.current_leaf = top.parent_id
            else:
                self.current_leaf = self.messages[-1].id if self.messages else None
        self.updated = time.time()
        return removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "id": self.id,
            "title": clean_surrogates(self.title),
            "created": self.created,
            "updated": self.updated,
            "model": self.model,
            "system_prompt": clean_surrogates(self.system_prompt),
            "params": self.params,
            "current_leaf": self.current_leaf,
            "title_source": self.title_source.value,
            "pinned": self.pinned,
            "archived": self.archived,
            "messages": [message.to_dict() for message in self.messages],
            **({"shown_children": dict(self.shown_children)} if self.shown_children else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conversation:
        if not isinstance(data, Mapping):
            raise FormatError("not_object")
        schema = data.get("schema")
        if schema != SCHEMA_VERSION:
            raise FormatError("schema", schema=repr(schema)[:40], expected=SCHEMA_VERSION)
        messages = data.get("messages", [])
        if not isinstance(messages, list):
            raise FormatError("not_list", key="'messages'")
        params = data.get("params", {})
        conversation_id = _str(data, "id")
        if not conversation_id:
            raise FormatError("no_id")
        title_source = _choice(data, "title_source", TitleSource, "")
        conversation = cls(
            id=conversation_id,
            title=_str(data, "title"),
            created=_float(data, "created"),
            updated=_float(data, "updated"),
            model=_opt_str(data, "model"),
            system_prompt=_str(data, "system_prompt"),
            params=dict(params) if isinstance(params, Mapping) else {},
            messages=[Message.from_dict(item) for item in messages],
            current_leaf=_opt_str(data, "current_leaf"),
            title_source=title_source,
            pinned=_bool(data, "pinned"),
            archived=_bool(data, "archived"),
            shown_children=_str_map(data, "shown_children"),
        )
        conversation.known_ids = {message.id for message in conversation.messages}
        _repair_tree(conversation)
        return conversation

    def merge(self, other: Conversation) -> int:
        """Add the messages of ``other`` (the same conversation, as another instance saved it)
        that this process has never seen; return how many were added."""
        foreign = [m for m in other.messages if m.id not in self.known_ids]
        if not foreign:
            return 0
        self.messages = sorted([*self.messages, *foreign], key=lambda m: m.created)
        self.known_ids.update(m.id for m in foreign)
        leaf = self.find(self._leaf_id() or "")
        if leaf is not None:  # turns the other instance added below ours: show them
            self.current_leaf = self.leaf_under(leaf).id
        if not self.title:
            self.title = other.title
        self.updated = max(self.updated, other.updated)
        return len(foreign)


def _repair_tree(conversation: Conversation) -> None:
    """Make a loaded conversation a usable tree: a hand-written file with no parent ids is one
    branch in list order; a missing or unknown ``current_leaf`` becomes the last message."""
    messages = conversation.messages
    if len(messages) > 1 and all(m.parent_id is None for m in messages):
        for parent, child in itertools.pairwise(messages):
            child.parent_id = parent.id
    if messages and (
        conversation.current_leaf is None or conversation.find(conversation.current_leaf) is None
    ):
        conversation.current_leaf = messages[-1].id


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise FormatError("not_string", key=repr(key))
    return value


def _str_map(data: Mapping[str, Any], key: str) -> dict[str, str]:
    """An optional ``{str: str}`` (what is not a string is left out: it only helps)."""
    value = data.get(key)
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise FormatError("not_string", key=repr(key))
    return value


def _float(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError("not_number", key=repr(key))
    return float(value)


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise FormatError("not_bool", key=repr(key))
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError("not_integer", key=repr(key))
    return value


_E = TypeVar("_E", bound=Enum)


def _choice(data: Mapping[str, Any], key: str, kind: type[_E], default: object) -> _E:
    """``data[key]`` as a member of the enum ``kind`` (``default`` when missing)."""
    value = data.get(key, default)
    try:
        return kind(value)
    except ValueError:
        raise FormatError("bad_choice", key=repr(key), value=repr(value)[:40]) from None
