"""Scripted replies: what the fake server answers to a chat completion, and how it fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakeserver.faults import FAULTS, Fault
from tests.fakeserver.requestlog import RecordedRequest

__all__ = ["DEMO_MARKDOWN", "Reply", "ReplySource", "echo_text"]

DEMO_MARKDOWN = """\
# A quick tour

Here is a short answer with **bold**, *italic* and `inline code`. 这是一段中文文本，\
用来检查宽字符的换行和光标位置是否正确。Mixed 中文 and English in one line.

- First bullet point
- Second bullet with a [link](https://example.com)
- Third bullet: 你好，世界

```python
def fib(n: int) -> int:
    \"\"\"Return the n-th Fibonacci number.\"\"\"
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


print([fib(i) for i in range(10)])
```

| Language | Greeting | Width |
|----------|----------|-------|
| English  | Hello    | 5     |
| 中文     | 你好     | 4     |

That's all. 完。
"""


@dataclass
class Reply:
    """One scripted answer to a chat completion request.

    text: the reply; None means "the default text" (echo of the last user message).
    chunks: explicit content deltas (overrides text/chunk_size).
    chunk_size: characters per content delta when chunks is None.
    delay: seconds slept before each content delta (slow tokens).
    headers_delay: seconds slept before the status line is sent.
    status: non-200 sends an error with `error_body` (default: OpenAI-style JSON for the
        status; `error_code="insufficient_quota"` picks the quota flavour of 429).
    fault: one of FAULTS; `fault_after` is the number of content deltas sent before
        "cut", "malformed", "error_event" and "invalid_utf8" strike.
    finish_reason: of the last chunk; "length" is used automatically when the request's
        max_completion_tokens / max_tokens cut the text.
    usage: None follows `stream_options.include_usage` (stream) / always (non-stream);
        True / False force it.
    model: the model named in the response (default: the requested model).
    headers: extra response headers (e.g. {"retry-after": "1"}).
    burst: a stream is written in one go, headers included, as if the whole reply were
        already in the socket when the client reads it.
    """

    text: str | None = None
    chunks: list[str] | None = None
    chunk_size: int = 4
    delay: float = 0.0
    headers_delay: float = 0.0
    status: int = 200
    error_body: dict[str, Any] | str | bytes | None = None
    error_code: str | None = None
    fault: Fault | None = None
    fault_after: int = 2
    finish_reason: str = "stop"
    usage: bool | None = None
    model: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    burst: bool = False

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {FAULTS}")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")

    def split(self, text: str) -> list[str]:
        """The content deltas for `text`."""
        if self.chunks is not None:
            return list(self.chunks)
        size = self.chunk_size
        return [text[i : i + size] for i in range(0, len(text), size)]


ReplySource = Reply | Callable[[RecordedRequest], Reply]
"""A fixed reply, or a function of the request that makes one (`FakeOpenAI.default_reply`)."""


def echo_text(request: RecordedRequest) -> str:
    """The default reply text: the last user message, prefixed."""
    return f"Echo: {request.last_user_text}"
