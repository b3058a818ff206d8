"""Shared helpers for the security tests.

- Building a `ChatApp` against a loopback server, and pilot helpers (paste, send, settle).
- `ScriptedServer`: a tiny OpenAI-style streaming server whose SSE JSON is ASCII-escaped, so a
  delta can carry a lone surrogate (``"\\ud800"``) or any control character exactly as a real
  server could send it (tests.fakeserver writes UTF-8 and cannot encode a lone surrogate).
- `PtyApp`: the real ``python -m chattui`` in a pseudo-terminal, with every byte it writes.
- `make_canary`: a fake API key built at run time (never a literal in source: tracebacks show
  source lines, and a literal there would be a false alarm).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import pty
import re
import secrets
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

from chattui.ui.app import ChatApp
from chattui.ui.widgets.chat_log import ChatLog

# Re-exported for the security tests (`x as x` is an explicit re-export for mypy).
from tests.apptools import app_environ as app_environ
from tests.apptools import build_app as build_app
from tests.apptools import chat_app as chat_app
from tests.apptools import chat_log as chat_log
from tests.apptools import main_screen as main_screen
from tests.apptools import notices as notices
from tests.apptools import prompt as prompt
from tests.apptools import screen_text as screen_text
from tests.apptools import status_text as status_text
from tests.apptools import wait_for as wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 36)
BIG_WINDOW = {"CHATTUI_MODEL": "zz-unknown-model", "CHATTUI_CONTEXT_WINDOW": "10000000"}
"""An unknown model (cheap estimated token counts) with a window big enough for any test."""


def make_canary(prefix: str = "sk-CANARY-") -> str:
    """A fresh fake secret, e.g. ``sk-CANARY-3f0c...``, built at run time."""
    return prefix + secrets.token_hex(12)


def home_dir() -> Path:
    """The isolated CHATTUI_HOME (set by the autouse fixture in tests/conftest.py)."""
    return Path(os.environ["CHATTUI_HOME"])


# --------------------------------------------------------------------------- in-process app


def make_app(
    base_url: str,
    key: str | None = "sk-security-test-0000111122223333",
    env: Mapping[str, str] | None = None,
    *,
    connect: bool = True,
) -> ChatApp:
    """A ChatApp whose services read an explicit environ; the warm-up thread is off."""
    return build_app(base_url, key, env, connect=connect)


def line_meta(log: ChatLog) -> list[dict[str, Any]]:
    """The non-empty Rich ``meta`` (actions) and links of every segment the chat log shows."""
    metas: list[dict[str, Any]] = []
    for y in range(log.size.height):
        for segment in log.render_line(y):
            style = segment.style
            if style is not None and (style.meta or style.link):
                metas.append({**style.meta, "link": style.link})
    return metas


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker, then for the screens to process what they posted."""
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def paste(pilot: Pilot[None], text: str) -> None:
    """Paste into the focused prompt as a terminal does: the Paste event goes to the app,
    which forwards it to the focused widget (posted to the widget itself it would bubble up
    to the app and be forwarded back, i.e. inserted twice)."""
    app = chat_app(pilot)
    prompt(app).focus()
    await pilot.pause()
    app.post_message(events.Paste(text))
    await pilot.pause()


async def press_now(pilot: Pilot[None], key: str) -> None:
    """Press ``key`` as the driver does, without pilot.press's wait for an idle CPU."""
    event = events.Key(key, None)
    event.set_sender(pilot.app)
    pilot.app.post_message(event)
    await pilot.pause()


async def type_keys(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` key by key as the driver sends keys (without pilot.press's idle waits)."""
    for char in text:
        event = events.Key(_character_to_key(char), char)
        event.set_sender(pilot.app)
        pilot.app.post_message(event)
    await pilot.pause()


async def send(pilot: Pilot[None], text: str) -> None:
    """Paste ``text``, press Enter, and wait until the reply has finished."""
    await paste(pilot, text)
    await press_now(pilot, "enter")
    await settle(pilot)


def conversation_files(home: Path) -> list[Path]:
    folder = home / "data" / "conversations"
    return sorted(p for p in folder.glob("*.json") if p.name != "index.json")


def all_files(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- scripted server


@dataclass
class SSEReply:
    """One streamed reply: content deltas, then finish (or an error event, then the end)."""

    chunks: Sequence[str]
    finish_reason: str = "stop"
    error_message: str | None = None
    status: int = 200
    """Non-200: answer with an OpenAI error body holding ``error_message``."""


@dataclass
class ScriptedServer:
    """A loopback OpenAI-style server; chat requests get the queued replies in order."""

    replies: list[SSEReply] = field(default_factory=list)
    default: SSEReply = field(default_factory=lambda: SSEReply(["ok"]))
    models_status: int = 200
    models_message: str = ""
    """For a non-200 ``GET /models``: the error message."""
    bodies: list[Any] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> ScriptedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status = server.models_status
                if status != 200:
                    error = {"error": {"message": server.models_message, "type": "x"}}
                    self._send(status, json.dumps(error).encode(), "application/json")
                    return
                body = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]}
                self._send(200, json.dumps(body).encode(), "application/json")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                server.bodies.append(json.loads(raw) if raw else None)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                reply = server.replies.pop(0) if server.replies else server.default
                if reply.status != 200:
                    error = {"error": {"message": reply.error_message, "type": "x", "code": None}}
                    self._send(reply.status, json.dumps(error).encode(), "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in reply.chunks:
                    self._event(_chunk({"content": chunk}, None))
                if reply.error_message is not None:
                    self._event({"error": {"message": reply.error_message, "type": "x"}})
                    return
                self._event(_chunk({}, reply.finish_reason))
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, payload: Any) -> None:
                # json.dumps escapes to ASCII: "\ud800", "\u001b" go over the wire as escapes.
                self.wfile.write(b"data: " + json.dumps(payload).encode("ascii") + b"\n\n")
                self.wfile.flush()

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"


def _chunk(delta: dict[str, Any], reason: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
    }


# --------------------------------------------------------------------------- pseudo-terminal

_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[P_^X][^\x1b]*\x1b\\|\x1b."
)


def visible(raw: bytes) -> str:
    """The text in terminal output, escape sequences removed (good enough to find words)."""
    return _ESCAPES.sub(b"", raw).decode("utf-8", "replace")


def _take_terminal() -> None:
    """In the child, after ``setsid``: make the pty on stdout the controlling terminal."""
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)


class PtyApp:
    """``python -m chattui`` in a pseudo-terminal of ``size`` (columns, rows).

    Everything the app writes is kept in :attr:`output`. The child leads its own session;
    :meth:`close` kills that process group (by id) if it is still running.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        size: tuple[int, int] = (100, 30),
        args: Sequence[str] = (),
        stdin: int | None = None,
    ) -> None:
        """``stdin``: e.g. ``subprocess.PIPE`` for ``echo hi | chattui``; the terminal is then
        the child's controlling terminal (``/dev/tty``), as in a shell."""
        self.output = bytearray()
        self.eof = False
        master, slave = pty.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "HOME": os.environ["HOME"],
        }
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chattui", *args],
                stdin=slave if stdin is None else stdin,
                stdout=slave,
                stderr=slave,
                env={**base, **env},
                cwd=REPO_ROOT,
                start_new_session=True,
                close_fds=True,
                preexec_fn=None if stdin is None else _take_terminal,
            )
        finally:
            os.close(slave)
        self.master = master

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self, timeout: float) -> None:
        if self.eof:
            time.sleep(min(timeout, 0.02))
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 1 << 16)
        except OSError as error:  # EIO: the child closed the terminal
            if error.errno != errno.EIO:
                raise
            data = b""
        if data:
            self.output.extend(data)
        else:
            self.eof = True

    def read_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Read output until ``predicate()`` holds (True) or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            self._read(0.05)
        return True

    def wait_for_text(self, text: str, timeout: float) -> bool:
        """Read until ``text`` is visible in the output (searched in new output only)."""
        start = len(self.output)
        return self.read_until(lambda: text in visible(bytes(self.output[start:])), timeout)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait_exit(self, timeout: float) -> int | None:
        """Read until the process exits; its return code, or None if it is still running."""
        self.read_until(lambda: self.eof and self.process.poll() is not None, timeout)
        return self.process.poll()

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self.master)
