"""Conversations out of chattui: Markdown and our own JSON.

HTML is in :mod:`chattui.core.export_html`; :mod:`chattui.core.export_files` writes any of the
three to a file or a directory.

Markdown shows the branch on screen (:meth:`Conversation.branch`)
with the roles as headings and the text as it was written, code fences included. JSON is the
very dict the conversation file holds, so importing it back gives the same conversation.

Nothing here knows the settings, so an export cannot carry the API key; :func:`redact` also
removes a key the user may have pasted into a message: the ones
:func:`chattui.core.secrets.export_secrets` lists, and anything shaped like a key.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from chattui.core.models import Conversation, Message, MessageStatus, Role
from chattui.core.secrets import hide_key_shapes

__all__ = [
    "REDACTED",
    "ExportFormat",
    "conversations_json",
    "conversations_markdown",
    "export_file_name",
    "format_time",
    "redact",
    "redacted_copy",
]

REDACTED = "[REDACTED API KEY]"

ROLE_HEADINGS = {Role.SYSTEM: "System", Role.USER: "User", Role.ASSISTANT: "Assistant"}


class ExportFormat(str, Enum):
    """The formats ``chattui export`` writes."""

    MARKDOWN = "md"
    JSON = "json"
    HTML = "html"


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in ``secrets`` (of 8 characters or more) and anything shaped
    like an API key replaced by :data:`REDACTED`."""
    for secret in secrets:
        if secret and len(secret) >= 8 and secret in text:
            text = text.replace(secret, REDACTED)
    return hide_key_shapes(text, REDACTED)


def redacted_copy(conversation: Conversation, secrets: Sequence[str]) -> Conversation:
    """``conversation`` itself when nothing needs redacting, else a copy with the secrets (see
    :func:`redact`) redacted."""
    raw = json.dumps(conversation.to_dict(), ensure_ascii=False)
    clean = redact(raw, secrets)
    return conversation if clean == raw else Conversation.from_dict(json.loads(clean))


def format_time(timestamp: float) -> str:
    """``2024-05-01 14:03`` in local time."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _heading(message: Message) -> str:
    heading = ROLE_HEADINGS[message.role]
    if message.role is Role.ASSISTANT and message.model:
        heading += f" ({message.model})"
    return heading


def _note(message: Message) -> str:
    if message.status is MessageStatus.ERROR:
        return f"*Failed: {message.error or 'error'}*"
    if message.status in (MessageStatus.STOPPED, MessageStatus.STREAMING):
        return "*Stopped before the end.*"
    return ""


def conversation_markdown(conversation: Conversation) -> str:
    """One conversation as a Markdown document (the branch on screen)."""
    branch = conversation.branch()
    models = sorted({m.model for m in branch if m.model} | {conversation.model or ""} - {""})
    lines = [f"# {conversation.title or 'Untitled conversation'}", ""]
    lines.append(f"- Date: {format_time(conversation.created)}")
    if format_time(conversation.updated) != format_time(conversation.created):
        lines.append(f"- Updated: {format_time(conversation.updated)}")
    if models:
        lines.append(f"- Model: {', '.join(models)}")
    hidden = len(conversation.messages) - len(branch)
    if hidden:
        messages = "message" if hidden == 1 else "messages"
        lines.append(f"- Branch: the one on screen ({hidden} {messages} on other branches)")
    lines.append("")
    if conversation.system_prompt.strip():
        lines += ["## System", "", conversation.system_prompt.strip(), ""]
    for message in branch:
        lines += [f"## {_heading(message)}", ""]
        if message.content:
            lines += [message.content.rstrip("\n"), ""]
        note = _note(message)
        if note:
            lines += [note, ""]
    return "\n".join(lines)


def conversations_markdown(conversations: Sequence[Conversation]) -> str:
    """Several conversations in one Markdown document, separated by rules."""
    return "\n---\n\n".join(conversation_markdown(c) for c in conversations)


def conversations_json(conversations: Sequence[Conversation]) -> str:
    """Our JSON: one conversation as the object its file holds, several as a list of them."""
    data: Any = (
        conversations[0].to_dict()
        if len(conversations) == 1
        else [conversation.to_dict() for conversation in conversations]
    )
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


_UNSAFE_NAME = re.compile(r"[^\w]+", re.UNICODE)


def export_file_name(conversation: Conversation, fmt: ExportFormat) -> str:
    """A file name for one conversation: ``<title-words>-<id>.<ext>``, safe on every OS."""
    slug = _UNSAFE_NAME.sub("-", conversation.title).strip("-_")[:40].strip("-_").lower()
    return f"{slug}-{conversation.id}.{fmt.value}" if slug else f"{conversation.id}.{fmt.value}"
