"""Messages as Markdown: the branch on screen (copy the conversation; the same shape as an
export) and a quote of one message."""

from __future__ import annotations

import time

from chattui.core.models import Conversation, MessageStatus, Role

__all__ = ["conversation_markdown", "quoted"]


def conversation_markdown(conversation: Conversation) -> str:
    """Title, date and model, then each message of the branch on screen under its role."""
    parts = [f"# {conversation.title or 'Conversation'}", ""]
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.created))
    meta = f"{date}" + (f" · {conversation.model}" if conversation.model else "")
    parts += [f"_{meta}_", ""]
    if conversation.system_prompt.strip():
        parts += ["## System", "", conversation.system_prompt.strip(), ""]
    for message in conversation.branch():
        if message.role is Role.SYSTEM:
            continue
        if message.role is Role.USER:
            heading = "## You"
        else:
            heading = "## Assistant" + (f" ({message.model})" if message.model else "")
        parts += [heading, "", message.content.rstrip() or "_(empty reply)_", ""]
        if message.status is MessageStatus.STOPPED:
            parts += ["_(stopped)_", ""]
        elif message.status is MessageStatus.ERROR and message.error:
            parts += [f"_(error: {message.error})_", ""]
    return "\n".join(parts).rstrip() + "\n"


def quoted(text: str) -> str:
    """``text`` as a Markdown quote (quoting a message or a code block into the prompt)."""
    return "\n".join(f"> {line}" if line else ">" for line in text.rstrip("\n").split("\n"))
