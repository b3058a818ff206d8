"""The faults a scripted reply can strike with, and the broken bytes they send."""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

__all__ = [
    "FAULTS",
    "HTML_PAGE",
    "INVALID_UTF8_MARK",
    "MID_STREAM_FAULTS",
    "Fault",
    "damaged_completion",
    "invalid_utf8_event",
    "malformed_event",
]

Fault = Literal[
    "hang",
    "hang_after_first",
    "cut",
    "no_finish",
    "malformed",
    "html",
    "error_event",
    "invalid_utf8",
]
FAULTS: tuple[str, ...] = get_args(Fault)

MID_STREAM_FAULTS: tuple[Fault, ...] = ("cut", "malformed", "error_event", "invalid_utf8")
"""The faults that strike after `Reply.fault_after` content deltas."""

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
    b"<body><h1>Welcome to nginx!</h1><p>If you see this page, the web server "
    b"is successfully installed.</p></body></html>\n"
)
"""What a misconfigured proxy answers instead of JSON (the "html" fault)."""


def malformed_event(completion_id: str) -> bytes:
    """An SSE event whose JSON breaks off (the streamed "malformed" fault)."""
    return b'data: {"id": "' + completion_id.encode() + b'", "choices": [{\n\n'


INVALID_UTF8_MARK = "@@BAD@@"
"""The content `invalid_utf8_event` replaces with bytes that are not UTF-8."""


def invalid_utf8_event(chunk: dict[str, Any]) -> bytes:
    """An SSE event for `chunk` (whose content is INVALID_UTF8_MARK) with invalid UTF-8."""
    line = json.dumps(chunk, separators=(",", ":"))
    raw = line.encode().replace(INVALID_UTF8_MARK.encode(), b"\xff\xfe")
    return b"data: " + raw + b"\n\n"


def damaged_completion(body: bytes, fault: Fault | None) -> bytes:
    """A non-streamed completion body as the "malformed" or "invalid_utf8" fault sends it."""
    if fault == "malformed":
        return body[: len(body) // 2]
    if fault == "invalid_utf8":
        return body.replace(b'"content": "', b'"content": "\xff\xfe', 1)
    return body
