"""The server's lifecycle and state: `FakeOpenAI` runs on 127.0.0.1 in a background thread,
holds the reply queue and the request log, and parks or releases hung requests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from collections.abc import Callable, Sequence
from http.server import ThreadingHTTPServer
from types import TracebackType

from tests.fakeserver.handler import Handler
from tests.fakeserver.models import DEFAULT_MODELS
from tests.fakeserver.replies import Reply, ReplySource
from tests.fakeserver.requestlog import RecordedRequest
from tests.fakeserver.tokens import get_encoding
from tests.fakeserver.wire import Stop, peer_state

__all__ = ["FakeHTTPServer", "FakeOpenAI"]


class FakeHTTPServer(ThreadingHTTPServer):
    """The stdlib server, with a link back to the `FakeOpenAI` that owns it."""

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
        self._httpd: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeOpenAI:
        if self._httpd is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        httpd = FakeHTTPServer(("127.0.0.1", self._requested_port), Handler)
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
    def latest_request(self) -> RecordedRequest:
        """`last_request` where a test expects one: fails (AssertionError) when none came."""
        request = self.last_request
        assert request is not None, "the fake server has received no request"
        return request

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
        """Wait until release() (returns), or stop() / client disconnect (raises Stop)."""
        event = threading.Event()
        with self._changed:
            self._hanging.add(event)
            self._hang_count += 1
            self._changed.notify_all()
        try:
            while not event.is_set():
                if self._stopping.is_set():
                    raise Stop("stopped")
                state = peer_state(conn, 0.05)
                if state == "closed":
                    raise Stop("client_disconnected")
                if state == "data":  # pipelined bytes: cannot tell EOF apart, just wait
                    event.wait(0.05)
        finally:
            with self._lock:
                self._hanging.discard(event)
        if self._stopping.is_set():
            raise Stop("stopped")

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise Stop("stopped")
