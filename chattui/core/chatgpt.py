"""Reading the official ChatGPT data export (``conversations.json``) into our conversations.

Each exported conversation is a tree (``mapping``: node id -> message, parent, children); every
branch is kept, with the parent ids joining them, and ``current_node`` becomes the branch on
screen. Only text is imported: images, files, tool calls and tool output leave a short note in
the message they belonged to (or, for a tool's own message, in the reply that follows it).
System messages, hidden context (custom instructions, memory) and the model's hidden reasoning
are left out. ChatGPT's titles count as automatic ones; archived conversations stay archived.
A conversation keeps its source id (``chatgpt-<id>``), so importing the same export twice adds
nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chattui.core.models import (
    Conversation,
    FormatError,
    Message,
    MessageStatus,
    Role,
    TitleSource,
)
from chattui.core.problems import Problem
from chattui.core.sanitize import sanitize_line

__all__ = ["ID_PREFIX", "chatgpt_conversation", "is_chatgpt_conversation"]

ID_PREFIX = "chatgpt-"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")

_HIDDEN_CONTENT = {"thoughts", "reasoning_recap", "user_editable_context", "model_editable_context"}
"""Content the ChatGPT app does not show as a message: left out without a note."""

_TOOL_CONTENT = {
    "code": "code run by a tool",
    "execution_output": "tool output",
    "tether_browsing_display": "web browsing results",
    "tether_quote": "quoted web page",
    "system_error": "tool error",
}

_PART_LABELS = {
    "image_asset_pointer": "image",
    "audio_asset_pointer": "audio",
    "real_time_user_audio_video_asset_pointer": "audio/video",
    "video_container_asset_pointer": "video",
}


def is_chatgpt_conversation(item: object) -> bool:
    """Whether ``item`` looks like one conversation of a ChatGPT export."""
    return isinstance(item, Mapping) and "mapping" in item


@dataclass
class _Node:
    id: str
    parent: str | None
    order: int
    message: Mapping[str, Any] | None
    children: list[str] = field(default_factory=list)


@dataclass
class _Content:
    text: str = ""
    skipped: list[str] = field(default_factory=list)
    """What was not imported (``image``, ``tool output``...), for the note."""
    keep: bool = True
    """False for a message the ChatGPT app does not show (hidden) or a tool's own message."""


def note_text(skipped: list[str]) -> str:
    """``[Not imported: 2 × image, tool output]`` (plain text: prompts are not Markdown)."""
    counts: dict[str, int] = {}
    for label in skipped:
        counts[label] = counts.get(label, 0) + 1
    items = [label if n == 1 else f"{n} × {label}" for label, n in counts.items()]
    return f"[Not imported: {', '.join(items)}]"


def _number(value: object, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError("not_number", key=what)
    return float(value)


def _parts(parts: object, content: _Content) -> None:
    if not isinstance(parts, list):
        raise FormatError("not_list", key="'parts'")
    texts: list[str] = []
    for part in parts:
        if isinstance(part, str):
            if part:
                texts.append(part)
        elif isinstance(part, Mapping):
            kind = part.get("content_type")
            if kind == "audio_transcription" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                content.skipped.append(_PART_LABELS.get(str(kind), "attachment"))
        elif part is not None:
            raise FormatError("part")
    content.text = "\n\n".join(texts)


def _content(message: Mapping[str, Any]) -> _Content:
    """The text of one exported message, and what was left out of it."""
    author = message.get("author")
    role = author.get("role") if isinstance(author, Mapping) else None
    metadata = message.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    body = message.get("content")
    if body is None:
        return _Content(keep=False)
    if not isinstance(body, Mapping):
        raise FormatError("not_an_object", key="'content'")
    kind = body.get("content_type")
    if role not in ("user", "assistant") or metadata.get("is_visually_hidden_from_conversation"):
        if role == "tool":
            return _Content(skipped=[_TOOL_CONTENT.get(str(kind), "tool output")], keep=False)
        return _Content(keep=False)  # system prompts, hidden context
    if kind in _HIDDEN_CONTENT:
        return _Content(keep=False)
    recipient = message.get("recipient", "all")
    if role == "assistant" and recipient not in (None, "all"):
        return _Content(skipped=["tool call"], keep=False)
    content = _Content()
    if kind in ("text", "multimodal_text"):
        _parts(body.get("parts", []), content)
    elif kind in _TOOL_CONTENT:
        content.skipped.append(_TOOL_CONTENT[str(kind)])
    else:
        content.skipped.append(f"{kind} content")
    attachments = metadata.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            name = attachment.get("name") if isinstance(attachment, Mapping) else None
            label = f"file “{sanitize_line(name, 80)}”" if isinstance(name, str) else "file"
            content.skipped.append(label)
    return content


def _nodes(mapping: object) -> dict[str, _Node]:
    if not isinstance(mapping, Mapping):
        raise FormatError("not_an_object", key="'mapping'")
    nodes: dict[str, _Node] = {}
    for order, (node_id, node) in enumerate(mapping.items()):
        if not isinstance(node, Mapping):
            raise FormatError("node_not_object", node=repr(node_id)[:60])
        parent = node.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise FormatError(
                "node",
                node=repr(node_id)[:60],
                error=Problem("format.not_string", {"key": "'parent'"}),
            )
        message = node.get("message")
        if message is not None and not isinstance(message, Mapping):
            raise FormatError(
                "node",
                node=repr(node_id)[:60],
                error=Problem("format.not_an_object", {"key": "'message'"}),
            )
        nodes[node_id] = _Node(node_id, parent, order, message)
    for node in nodes.values():
        if node.parent is None:
            continue
        if node.parent not in nodes:
            raise FormatError("orphan", node=repr(node.id)[:60], parent=repr(node.parent)[:60])
        nodes[node.parent].children.append(node.id)
    return nodes


def _walk(nodes: dict[str, _Node]) -> list[_Node]:
    """Every node, parents before children, siblings oldest first (so alternatives keep
    ChatGPT's numbering: the original prompt is 1/2, its edit 2/2). Raises on a loop."""

    def order_key(node_id: str) -> tuple[float, int]:
        node = nodes[node_id]
        stamp = node.message.get("create_time") if node.message else None
        valid = isinstance(stamp, int | float) and not isinstance(stamp, bool)
        return (float(stamp) if valid else 0.0, node.order)  # type: ignore[arg-type]

    roots = sorted((n.id for n in nodes.values() if n.parent is None), key=order_key)
    order: list[_Node] = []
    stack = list(reversed(roots))
    while stack:
        node = nodes[stack.pop()]
        order.append(node)
        stack.extend(sorted(node.children, key=order_key, reverse=True))
    if len(order) != len(nodes):
        raise FormatError("loop")
    return order


def _model(slug: object) -> str | None:
    """A model name from the export (untrusted: one short line), or None."""
    if not isinstance(slug, str):
        return None
    return sanitize_line(slug, 100) or None


def _status(message: Mapping[str, Any]) -> MessageStatus:
    status = message.get("status")
    if status in ("in_progress", "finished_partial_completion"):
        return MessageStatus.STOPPED
    return MessageStatus.COMPLETE


def chatgpt_conversation(item: Mapping[str, Any]) -> tuple[Conversation, int]:
    """One exported ChatGPT conversation as ours, and how many parts were not imported.

    Raises:
        FormatError: the conversation does not have the export's shape (says what is wrong).
    """
    source_id = item.get("conversation_id") or item.get("id")
    if not isinstance(source_id, str) or not _SAFE_ID.match(source_id):
        raise FormatError("bad_id", id="'conversation_id'")
    title = item.get("title") or ""
    if not isinstance(title, str):
        raise FormatError("not_string", key="'title'")
    created = _number(item.get("create_time"), "'create_time'")
    updated = _number(item.get("update_time"), "'update_time'")
    default_model = item.get("default_model_slug")
    """The conversation's model, for replies whose own ``model_slug`` is missing."""
    nodes = _nodes(item.get("mapping"))
    kept_as: dict[str, str | None] = {}
    """Node id -> id of the message standing for it (itself, or its nearest kept ancestor)."""
    notes: dict[str, list[str]] = {}
    """Node id -> what skipped ancestors left out, for the next kept message below them."""
    messages: list[Message] = []
    times: dict[str | None, float] = {None: created or 0.0}
    skipped_parts = 0
    for node in _walk(nodes):
        parent_message = kept_as.get(node.parent) if node.parent else None
        inherited = list(notes.get(node.parent, [])) if node.parent else []
        parent_time = times.get(parent_message, created or 0.0)
        content = _Content(keep=False)
        if node.message is not None:
            try:
                content = _content(node.message)
            except FormatError as error:
                raise FormatError("node", node=repr(node.id)[:60], error=error.problem) from None
        skipped_parts += len(content.skipped)
        if not content.keep or not (content.text or content.skipped):
            kept_as[node.id] = parent_message
            notes[node.id] = inherited + content.skipped
            continue
        message = node.message or {}
        author_role = message.get("author", {}).get("role")
        metadata = message.get("metadata")
        model = metadata.get("model_slug") if isinstance(metadata, Mapping) else None
        if not (isinstance(model, str) and model):
            model = default_model
        text = content.text
        if inherited:
            text = f"{note_text(inherited)}\n\n{text}" if text else note_text(inherited)
        if content.skipped:
            text = f"{text}\n\n{note_text(content.skipped)}" if text else note_text(content.skipped)
        stamp = _number(message.get("create_time"), f"node {node.id!r}: 'create_time'")
        messages.append(
            Message(
                role=Role.USER if author_role == "user" else Role.ASSISTANT,
                content=text,
                id=node.id,
                parent_id=parent_message,
                created=stamp if stamp is not None else parent_time,
                model=_model(model) if author_role == "assistant" else None,
                status=_status(message),
            )
        )
        kept_as[node.id] = node.id
        times[node.id] = messages[-1].created
        notes[node.id] = []
    current = item.get("current_node")
    leaf = kept_as.get(current) if isinstance(current, str) else None
    if leaf is None and messages:
        parents = {m.parent_id for m in messages}
        leaves = [m for m in messages if m.id not in parents]
        leaf = max(leaves, key=lambda m: m.created).id
    first = min((m.created for m in messages), default=0.0)
    conversation = Conversation(
        id=f"{ID_PREFIX}{source_id}",
        title=sanitize_line(title, 200),
        created=created if created is not None else first,
        updated=updated if updated is not None else (created or first),
        messages=messages,
        current_leaf=leaf,
        title_source=TitleSource.AUTO if title.strip() else TitleSource.NONE,
        archived=item.get("is_archived") is True,
    )
    conversation.known_ids = {m.id for m in messages}
    return conversation, skipped_parts
