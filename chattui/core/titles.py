"""Automatic titles: after the first reply, the model is asked for a short title.

The request is a small streamed chat completion of its own (never saved). Its answer is cleaned
(one line, no quotes, no "Title:" prefix, no final full stop, no terminal escapes) before it
replaces the first-prompt title. A manual rename always wins: see :func:`wants_title`.
"""

from __future__ import annotations

import re
from contextlib import aclosing

from chattui.core.catalog import Catalog, max_tokens_param
from chattui.core.events import ChatRequest, TextDelta
from chattui.core.models import Conversation, MessageStatus, Role, TitleSource
from chattui.core.sanitize import sanitize_line
from chattui.core.turns import StreamingClient

__all__ = ["clean_title", "generate_title", "title_request", "wants_title"]

TITLE_LIMIT = 60
EXCERPT_CHARS = 1500
"""Characters of the first prompt and of the first reply shown to the model."""
TITLE_MAX_TOKENS = 40
INSTRUCTION = (
    "You name chat conversations. Reply with a short title for the conversation below: "
    "at most 6 words, in the same language as the conversation, without quotes, without a "
    "final full stop, and nothing else."
)
_PREFIX = re.compile(r"^\s*(title|标题|題目|题目)\s*[:：]\s*", re.IGNORECASE)
_QUOTES = "\"'`“”‘’「」『』《》〈〉«»*#_"
_TRAILING = ".。!！?？,，;；:：、 "


def wants_title(conversation: Conversation) -> bool:
    """Whether ``conversation`` should get an automatic title now: its title is still the
    first prompt (or empty) and its first reply just completed."""
    if conversation.title_source not in (TitleSource.NONE, TitleSource.PROMPT):
        return False
    # Failed replies do not count (a retry that works is the first reply); regenerated
    # alternatives do (the title was asked for after the first).
    replies = [
        m
        for m in conversation.messages
        if m.role is Role.ASSISTANT and m.status is MessageStatus.COMPLETE and m.content.strip()
    ]
    return len(replies) == 1 and replies[0] in conversation.branch()


def title_request(
    conversation: Conversation, model: str, catalog: Catalog, base_url: str = ""
) -> ChatRequest:
    """The request asking ``model`` for a title of ``conversation``'s first exchange."""
    branch = conversation.branch()
    prompt = next((m.content for m in branch if m.role is Role.USER), "")
    reply = next((m.content for m in branch if m.role is Role.ASSISTANT and m.content), "")
    excerpt = (
        f"User: {prompt[:EXCERPT_CHARS]}\n\nAssistant: {reply[:EXCERPT_CHARS]}\n\n"
        "Title (same language as the user):"
    )
    info = catalog.lookup(model)
    return ChatRequest(
        model=model,
        messages=[
            {"role": "system", "content": INSTRUCTION},
            {"role": "user", "content": excerpt},
        ],
        # Reasoning models spend tokens thinking first: a small cap would leave no title.
        max_tokens=None if info.reasoning else TITLE_MAX_TOKENS,
        max_tokens_param=max_tokens_param(model, base_url, info),
    )


def clean_title(text: str) -> str:
    """The first non-empty line of ``text`` without quotes, prefix or final punctuation,
    sanitized and shortened; empty if nothing is left."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    line = _PREFIX.sub("", sanitize_line(line, 400))
    line = line.strip().strip(_QUOTES).strip()
    line = line.rstrip(_TRAILING).strip().strip(_QUOTES).strip()
    if len(line) > TITLE_LIMIT:
        line = line[: TITLE_LIMIT - 1].rstrip() + "…"
    return line


async def generate_title(client: StreamingClient, request: ChatRequest) -> str:
    """Send ``request`` and return the cleaned title ("" when the model gave none).

    Raises:
        ChatError: the request failed.
    """
    parts: list[str] = []
    async with aclosing(client.stream(request)) as stream:
        async for event in stream:
            if isinstance(event, TextDelta):
                parts.append(event.text)
                if len(parts) > 400:  # a chatty model: the first line is long since written
                    break
    return clean_title("".join(parts))
