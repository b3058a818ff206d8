"""Conversation and message data, with a versioned dict form for JSON. No I/O here."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from chattui.core.sanitize import clean_surrogates

__all__ = [
    "SCHEMA_VERSION",
    "Conversation",
    "FormatError",
    "Message",
    "MessageStatus",
    "Role",
    "Usage",
    "new_id",
]

SCHEMA_VERSION = 1


class FormatError(ValueError):
    """A conversation dict does not have the expected shape."""


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


def new_id() -> str:
    """A short, sortable, unique id (time prefix + random suffix)."""
    return f"{time.time_ns() // 1_000_000:x}{secrets.token_hex(4)}"


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
    """The human message of the failure, for status ``error``."""
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
        if self.usage is not None:
            data["usage"] = self.usage.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        if not isinstance(data, Mapping):
            raise FormatError("a message is not an object")
        try:
            role = Role(data.get("role"))
            status = MessageStatus(data.get("status", "complete"))
        except ValueError as error:
            raise FormatError(str(error)) from None
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
    system_prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    current_leaf: str | None = None
    """Id of the last message of the branch on screen."""
    known_ids: set[str] = field(default_factory=set, compare=False, repr=False)
    """Ids of every message this process has seen in the conversation (not saved). A message
    on disk whose id is not here was written by another instance, and is merged in."""

    def add(self, message: Message) -> Message:
        """Append ``message`` to the current branch and make it the leaf."""
        if message.parent_id is None and self.messages:
            message.parent_id = self.messages[-1].id
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
            "messages": [message.to_dict() for message in self.messages],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conversation:
        if not isinstance(data, Mapping):
            raise FormatError("the file does not hold a JSON object")
        schema = data.get("schema")
        if schema != SCHEMA_VERSION:
            raise FormatError(f"unsupported schema {schema!r} (expected {SCHEMA_VERSION})")
        messages = data.get("messages", [])
        if not isinstance(messages, list):
            raise FormatError("'messages' is not a list")
        params = data.get("params", {})
        conversation_id = _str(data, "id")
        if not conversation_id:
            raise FormatError("the conversation has no id")
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
        )
        conversation.known_ids = {message.id for message in conversation.messages}
        return conversation

    def merge(self, other: Conversation) -> int:
        """Add the messages of ``other`` (the same conversation, as another instance saved it)
        that this process has never seen; return how many were added."""
        foreign = [m for m in other.messages if m.id not in self.known_ids]
        if not foreign:
            return 0
        self.messages = sorted([*self.messages, *foreign], key=lambda m: m.created)
        self.known_ids.update(m.id for m in foreign)
        if not self.title:
            self.title = other.title
        self.updated = max(self.updated, other.updated)
        return len(foreign)


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise FormatError(f"{key!r} is not a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise FormatError(f"{key!r} is not a string")
    return value


def _float(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{key!r} is not a number")
    return float(value)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(f"{key!r} is not an integer")
    return value
