"""Reading a chat completion stream: Server-Sent Events into typed events.

The openai SDK builds a pydantic object for every chunk, which costs about five times as much
as reading the stream itself; a reply of thousands of chunks spends most of its time there.
chattui lets the SDK send the request (auth, headers, status errors) and reads the event
stream here with plain ``json``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from chattui.core.events import ChatError, ErrorKind, StreamEvent, TextDelta, UsageReport
from chattui.core.models import Usage
from chattui.core.sanitize import clean_surrogates, sanitize_line

__all__ = ["StreamState", "chunk_events", "sse_data"]


async def sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The ``data`` payload of each event in a stream of SSE lines (``[DONE]`` included)."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # a comment (keep-alive)
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


@dataclass
class StreamState:
    """What the stream has said so far."""

    chunks: int = 0
    finish: str | None = None
    done: bool = False


def chunk_events(payload: str, state: StreamState) -> list[StreamEvent]:
    """The events in one ``data`` payload.

    Raises:
        ChatError: the payload is not JSON (``BAD_RESPONSE``) or is an error event (``SERVER``).
    """
    if payload == "[DONE]":
        state.done = True
        return []
    try:
        chunk = json.loads(payload)
    except ValueError:
        raise ChatError(ErrorKind.BAD_RESPONSE, "json") from None
    if not isinstance(chunk, dict):
        raise ChatError(ErrorKind.BAD_RESPONSE, "event")
    if chunk.get("error"):
        raise ChatError(ErrorKind.SERVER, "event", detail=_error_detail(chunk["error"]))
    state.chunks += 1
    events: list[StreamEvent] = []
    for choice in chunk.get("choices") or ():
        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
            continue
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        if isinstance(content, str) and content:
            # A lone surrogate (a JSON escape like "\ud800") cannot be encoded as UTF-8:
            # kept, it would break the next request and the save.
            events.append(TextDelta(clean_surrogates(content)))
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            state.finish = reason
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        events.append(UsageReport(_usage(usage)))
    return events


def _error_detail(error: Any) -> str:
    message = error.get("message") if isinstance(error, dict) else error
    return sanitize_line(str(message or "-"), 300)


def _usage(usage: dict[str, Any]) -> Usage:
    def number(key: str) -> int:
        value = usage.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return Usage(number("prompt_tokens"), number("completion_tokens"), number("total_tokens"))
