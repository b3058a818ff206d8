"""HTTP/1.1 plumbing for the handler: raw status lines, bodies, chunks, dropped connections."""

from __future__ import annotations

import contextlib
import json
import secrets
import select
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Literal

from tests.fakeserver.chunks import http_chunk, sse_event
from tests.fakeserver.errors import REASONS

if TYPE_CHECKING:
    from tests.fakeserver.server import FakeHTTPServer

__all__ = ["Stop", "Wire", "peer_state"]


class Stop(Exception):
    """The server is stopping or the client went away; abandon the response."""


def peer_state(conn: socket.socket, timeout: float) -> Literal["idle", "closed", "data"]:
    """Whether the client closed its side ("closed"), sent bytes ("data") or neither,
    waiting at most `timeout` seconds."""
    try:
        readable, _, _ = select.select([conn], [], [], timeout)
        if not readable:
            return "idle"
        return "closed" if conn.recv(1, socket.MSG_PEEK) == b"" else "data"
    except (OSError, ValueError):
        return "closed"


class Wire(BaseHTTPRequestHandler):
    """Writes responses byte by byte as the handler decides, flushing each piece."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    sys_version = ""
    server: FakeHTTPServer

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

    _held: list[bytes] | None = None
    """Writes kept back while a burst is gathered (see ``Reply.burst``)."""

    def _write(self, data: bytes) -> None:
        if self._held is not None:
            self._held.append(data)
            return
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            self.close_connection = True
            raise Stop("client_disconnected") from exc

    @contextlib.contextmanager
    def _held_back(self, burst: bool) -> Iterator[None]:
        """With ``burst``, what is written inside is sent in one write at the end."""
        if not burst:
            yield
            return
        self._held = []
        try:
            yield
        finally:
            held, self._held = self._held, None
            self._write(b"".join(held))

    def _start(self, status: int, content_type: str, headers: dict[str, str], **extra: str) -> None:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
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
        self._write(http_chunk(data))

    def _event(self, payload: Any) -> None:
        self._chunk(sse_event(payload))

    def _abort(self) -> None:
        """Drop the connection without finishing the response."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True
        raise Stop("cut")
