"""Chat completion bodies: the non-streamed JSON, the SSE chunks and their HTTP framing."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

from tests.fakeserver.tokens import count_prompt_tokens, count_tokens

__all__ = [
    "chunk_body",
    "completion_base",
    "completion_body",
    "http_chunk",
    "sse_event",
    "usage_body",
]


def completion_base(model: str) -> dict[str, Any]:
    """The fields every chunk of one completion shares: id, created, model."""
    return {
        "id": f"chatcmpl-{secrets.token_urlsafe(21)}",
        "created": int(time.time()),
        "model": model,
    }


def usage_body(messages: Sequence[dict[str, Any]], completion: str) -> dict[str, int]:
    """`usage` for a reply of `completion` to `messages`, counted as OpenAI does."""
    prompt = count_prompt_tokens(messages)
    completion_tokens = count_tokens(completion)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


def completion_body(
    base: dict[str, Any], text: str, finish_reason: str | None, usage: dict[str, int] | None
) -> dict[str, Any]:
    """A whole `chat.completion` object (usage left out when None)."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    message["annotations"] = []
    data: dict[str, Any] = {
        "id": base["id"],
        "object": "chat.completion",
        "created": base["created"],
        "model": base["model"],
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "service_tier": "default",
        "system_fingerprint": None,
    }
    if usage is not None:
        data["usage"] = usage
    return data


def chunk_body(
    base: dict[str, Any], delta: dict[str, Any], reason: str | None, send_usage: bool
) -> dict[str, Any]:
    """One `chat.completion.chunk`; with `send_usage` it carries `"usage": null`."""
    data: dict[str, Any] = {
        "id": base["id"],
        "object": "chat.completion.chunk",
        "created": base["created"],
        "model": base["model"],
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}],
    }
    if send_usage:
        data["usage"] = None
    return data


def sse_event(payload: Any) -> bytes:
    """One server-sent event carrying `payload` as compact JSON."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return b"data: " + data.encode() + b"\n\n"


def http_chunk(data: bytes) -> bytes:
    """`data` framed as one chunk of a chunked HTTP body (empty data ends the body)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"
