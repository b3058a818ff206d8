"""End-to-end benchmark of the real app: first usable frame, and streaming long replies.

Run with ``uv run python benchmarks/bench_app.py [--runs 5] [--quick]``. Prints the median
(and min / max) of N runs for each measurement (the 20k reply: 2 runs, ``--big-runs``; all: 2
with ``--quick``), then the ratios that matter. About 3 minutes on a quiet 2-core machine:

1. First usable frame. The real ``chattui`` (``python -m chattui``) is launched in a
   pseudo-terminal (120x36, TERM=xterm-256color, a fresh CHATTUI_HOME, a key and a loopback
   base URL) and timed from spawn until its output contains a text that only the ready main
   screen paints (the prompt's placeholder). Then Ctrl+Q is sent and the process reaped (that
   time is printed too: "Ctrl+Q -> exit", right after the first frame).
   Baselines, measured the same way in the same run: a bare Textual app (one focused
   ``Input(placeholder="ready-marker")``), and Python's own start-up (``python -c pass``).
   Children run with bytecode caches (``PYTHONDONTWRITEBYTECODE`` is dropped from their
   environment; the untimed first round writes the caches), as after an install.
   Goal: chattui / bare Textual <= 1.3x.

2. Streaming a 4,000- and a 20,000-token Markdown reply (``sample_reply.py``, plus a sentinel
   last line) from ``tests.fakeserver`` running in its own process (delay 0, 5-character
   deltas like real token deltas), as fast as loopback allows:

   0. the floor: httpx2 reading the SSE lines + ``json.loads``, no SDK objects;
   a. the openai SDK alone (AsyncOpenAI on an httpx2 client, ``stream=True``, consume and
      join every chunk): request -> last chunk;
   b. the real ``ChatApp`` headless (``App.run_test(size=(120, 36))``): Enter in ``#prompt``
      -> reply worker done and the sentinel in the chat log's ``rendered_text()``;
   c. the real app in a pty (as in 1): Enter -> the sentinel line painted in the output bytes
      (raw, or with escape sequences removed). One process per size, started 3 s (``--settle``)
      before the first prompt so its warm-up (openai import) is done; Ctrl+N between runs.

   d. the first reply of a fresh process (4k only): chattui started in a pty, the prompt
      typed as soon as its first frame is painted and Enter pressed at once (start-up work such
      as the openai import may still run), Enter -> the sentinel painted; a new process each
      run. The same after ``--settle`` seconds shows what the start-up work costs the reply.

   Goals: app / SDK <= 1.5x for each size; app 20k / 4k close to 5x (linear); the first reply
   of a fresh process <= 1.0x the SDK alone (warm, same run).

Every wait has a timeout, children run in their own process groups and are killed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import fcntl
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sample_reply import sample_reply

ROOT = Path(__file__).resolve().parents[1]
COLUMNS, LINES = 120, 36
API_KEY = "sk-bench-0123456789abcdef0123456789abcdef"
CHUNK_SIZE = 5
PROMPT = "Please write the long answer."
SENTINEL = "Zqxendmark4217 reply complete."
"""Appended to every reply as its own paragraph: short, plain and unique, so it is painted as
one contiguous run of text and found in the raw terminal output."""
READY_CHATTUI = b"Type a message"
READY_STATUS = b"ready"  # Textual may redraw "· " and "ready" apart
READY_BARE = b"ready-marker"
CTRL_Q = b"\x11"
CTRL_N = b"\x0e"

BARE_APP = textwrap.dedent(
    """\
    from textual.app import App, ComposeResult
    from textual.widgets import Input


    class Bare(App[None]):
        BINDINGS = [("ctrl+q", "quit", "Quit")]

        def compose(self) -> ComposeResult:
            yield Input(placeholder="ready-marker")

        def on_mount(self) -> None:
            self.query_one(Input).focus()


    if __name__ == "__main__":
        Bare().run()
    """
)

_ANSI = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b."
)


class BenchError(RuntimeError):
    """A measurement could not be taken (timeout, wrong reply, crashed child)."""


# --------------------------------------------------------------------------- children

_children: set[subprocess.Popen[bytes]] = set()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc``'s process group (it was started in a session of its own) and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    _children.discard(proc)


def _kill_all() -> None:
    for proc in list(_children):
        _kill(proc)


def _on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _spawn(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        argv, start_new_session=True, **kwargs
    )
    _children.add(proc)
    return proc


# --------------------------------------------------------------------------- pty


def _python() -> str:
    return sys.executable


def _env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("OPENAI_", "CHATTUI_"))
        and key.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
        # Bytecode caches as after an install (pip compiles; else the first run writes them):
        # without them every start compiles ~400 modules, which is not what users see.
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        TERM="xterm-256color",
        COLUMNS=str(COLUMNS),
        LINES=str(LINES),
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        TEXTUAL_ANIMATIONS="none",
    )
    env.update(extra)
    return env


def _set_ctty() -> None:  # pragma: no cover - runs in the child
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyApp:
    """A program running in a pseudo-terminal whose output is read as it comes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.master = master
        self.eof = False
        self.total = 0
        self._tail = b""
        self.started = time.perf_counter()
        try:
            self.proc = _spawn(
                argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=cwd,
                close_fds=True,
                preexec_fn=_set_ctty,
            )
        finally:
            os.close(slave)

    def _read(self, timeout: float) -> bytes:
        """The bytes available within ``timeout`` (b"" if none; sets ``eof`` at the end)."""
        if self.eof:
            return b""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return b""
        try:
            data = os.read(self.master, 1 << 17)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            self.eof = True
        self.total += len(data)
        return data

    def wait_for(self, marker: bytes, timeout: float, since: float | None = None) -> float:
        """Read until ``marker`` is painted; return seconds from ``since`` (default: spawn).

        The raw bytes are searched, and also the bytes with escape sequences removed, in a
        window that carries the end of the previous read over (markers split across reads).
        """
        start = self.started if since is None else since
        deadline = time.perf_counter() + timeout
        keep = max(len(marker) * 4, 512)
        while True:
            data = self._read(min(0.05, deadline - time.perf_counter()))
            now = time.perf_counter()
            if data:
                window = self._tail + data
                self._tail = window[-keep:]
                if marker in window or marker in _ANSI.sub(b"", window):
                    return now - start
            if self.eof:
                raise BenchError(f"the program exited before painting {marker!r}")
            if now >= deadline:
                raise BenchError(f"{marker!r} not painted within {timeout:.0f} s")

    def wait_quiet(self, quiet: float, timeout: float) -> float:
        """Read until nothing is painted for ``quiet`` seconds; return the seconds from spawn
        to the last output before that silence (when the screen stopped changing)."""
        deadline = time.perf_counter() + timeout
        last = time.perf_counter()
        while True:
            now = time.perf_counter()
            if now - last >= quiet:
                return last - self.started
            if now >= deadline:
                raise BenchError(f"the screen kept changing for {timeout:.0f} s")
            data = self._read(min(quiet - (now - last), deadline - now))
            if data:
                last = time.perf_counter()
                self._tail = (self._tail + data)[-512:]
            elif self.eof:
                raise BenchError("the program exited before its screen was stable")

    def drain(self, seconds: float) -> bytes:
        """Read (and return) the output for ``seconds``, so the program never blocks on it."""
        deadline = time.perf_counter() + seconds
        chunks = []
        while not self.eof and (left := deadline - time.perf_counter()) > 0:
            chunks.append(self._read(min(left, 0.05)))
        data = b"".join(chunks)
        self._tail = (self._tail + data)[-512:]
        return data

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def quit(self, timeout: float = 10.0) -> float:
        """Press Ctrl+Q and reap the process; return the seconds it took to exit."""
        start = time.perf_counter()
        try:
            if self.proc.poll() is None and not self.eof:
                with contextlib.suppress(OSError):
                    self.send(CTRL_Q)
            deadline = start + timeout
            while self.proc.poll() is None and time.perf_counter() < deadline:
                self._read(min(0.05, deadline - time.perf_counter()))
                if self.eof:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.proc.wait(timeout=max(deadline - time.perf_counter(), 0.01))
            if self.proc.poll() is None:
                raise BenchError(f"{self.proc.args!r} did not quit within {timeout:.0f} s")
            return time.perf_counter() - start
        finally:
            self.close()

    def close(self) -> None:
        _kill(self.proc)
        with contextlib.suppress(OSError):
            os.close(self.master)
        self.master = -1


def chattui_argv() -> list[str]:
    return [_python(), "-m", "chattui"]


def chattui_env(home: Path, base_url: str) -> dict[str, str]:
    return _env(CHATTUI_HOME=str(home), OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=base_url)


# --------------------------------------------------------------------------- fake server


@dataclass
class Server:
    """``tests.fakeserver`` in a process of its own, replying with one text."""

    text: str
    proc: subprocess.Popen[bytes] | None = None
    base_url: str = ""
    _dir: tempfile.TemporaryDirectory[str] = field(default_factory=tempfile.TemporaryDirectory)

    def start(self, timeout: float = 30.0) -> Server:
        reply = Path(self._dir.name) / "reply.md"
        reply.write_text(self.text, encoding="utf-8")
        argv = [
            _python(), "-m", "tests.fakeserver", "--port", "0", "--reply-file", str(reply),
            "--chunk-size", str(CHUNK_SIZE), "--delay", "0", "--quiet",
        ]  # fmt: skip
        self.proc = _spawn(
            argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env()
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise BenchError(f"the fake server did not start (said {line!r})")
        self.base_url = line
        return self

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=5)
            _kill(self.proc)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
        self._dir.cleanup()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- helpers


def reply_text(tokens: int) -> str:
    text = sample_reply(tokens)
    return text.rstrip("\n") + f"\n\n{SENTINEL}\n"


def run_async(coro: Coroutine[object, object, float], timeout: float) -> float:
    """Run ``coro`` in a new event loop; give up after ``timeout`` seconds.

    Unlike ``asyncio.run``, a coroutine that ignores its cancellation cannot hang the
    benchmark: it gets 10 s to finish cancelling, then its loop is closed and it is left.
    """
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(coro)
        loop.run_until_complete(asyncio.wait({task}, timeout=timeout))
        if not task.done():
            task.cancel()
            loop.run_until_complete(asyncio.wait({task}, timeout=10))
            raise BenchError(f"gave up after {timeout:.0f} s")
        return task.result()
    finally:
        with contextlib.suppress(Exception):
            shutdown = loop.shutdown_asyncgens()
            loop.run_until_complete(asyncio.wait_for(shutdown, 5))
        loop.close()


@contextlib.contextmanager
def temp_home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="chattui-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Result:
    name: str
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


RESULTS: dict[str, Result] = {}


def measure(key: str, name: str, runs: int, func: Callable[[], float], warmup: int = 0) -> Result:
    """Call ``func`` (which returns seconds) ``warmup`` + ``runs`` times; keep the timed ones."""
    result = RESULTS.setdefault(key, Result(name))
    for index in range(warmup + runs):
        try:
            seconds = func()
        except Exception as error:  # any failure is reported, the other runs go on
            text = (
                str(error) if isinstance(error, BenchError) else f"{type(error).__name__}: {error}"
            )
            result.errors.append(text)
            print(f"  ! {name}: {text}", file=sys.stderr, flush=True)
            continue
        if index >= warmup:
            result.samples.append(seconds)
    shown = ", ".join(f"{s * 1000:.0f}" for s in result.samples)
    print(f"  {name:<44} ms: {shown}", file=sys.stderr, flush=True)
    return result


def _k(tokens: int) -> str:
    return f"{tokens / 1000:g}k"


def _fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f} ms"


def _ratio(a: str, b: str) -> float | None:
    x, y = RESULTS.get(a), RESULTS.get(b)
    if x is None or y is None or x.median is None or not y.median:
        return None
    return x.median / y.median


# --------------------------------------------------------------------------- 1. first frame


def first_frame(
    argv: list[str], env: dict[str, str], marker: bytes, timeout: float, quits: list[float]
) -> float:
    """Seconds from spawn to ``marker`` painted; then Ctrl+Q, its time appended to ``quits``."""
    app = PtyApp(argv, env)
    try:
        elapsed = app.wait_for(marker, timeout)
    except BenchError:
        app.close()
        raise
    quits.append(app.quit())
    return elapsed


def python_startup() -> float:
    start = time.perf_counter()
    subprocess.run([_python(), "-c", "pass"], check=True, timeout=30, env=_env())
    return time.perf_counter() - start


def bench_startup(runs: int, timeout: float) -> None:
    print("first usable frame (pty 120x36)", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        bare = Path(scratch) / "bare_app.py"
        bare.write_text(BARE_APP, encoding="utf-8")

        def chattui() -> float:
            with temp_home() as home:
                # Nothing listens on port 9: the first frame must not need the network.
                env = chattui_env(home, "http://127.0.0.1:9/v1")
                return first_frame(chattui_argv(), env, READY_CHATTUI, timeout, quits_chattui)

        def bare_textual() -> float:
            return first_frame([_python(), str(bare)], _env(), READY_BARE, timeout, quits_bare)

        quits_chattui: list[float] = []
        quits_bare: list[float] = []
        # Interleaved, so that machine noise hits both alike.
        for index in range(runs):
            warm = 1 if index == 0 else 0
            measure("start.python", "python -c pass", 1, python_startup, warm)
            measure("start.bare", "bare Textual app", 1, bare_textual, warm)
            measure("start.chattui", "chattui", 1, chattui, warm)
        # Ctrl+Q right after the first frame -> process exit (the warm-up runs excluded).
        RESULTS["quit.bare"] = Result("bare Textual: Ctrl+Q -> exit", quits_bare[1:])
        RESULTS["quit.chattui"] = Result("chattui: Ctrl+Q -> exit", quits_chattui[1:])


# --------------------------------------------------------------------------- 2a. SDK


async def _sdk_once(base_url: str, expected: str, timeout: float) -> float:
    import httpx2
    import openai

    http = httpx2.AsyncClient(trust_env=False, timeout=httpx2.Timeout(timeout))
    client = openai.AsyncOpenAI(api_key=API_KEY, base_url=base_url, http_client=http, max_retries=0)
    try:
        start = time.perf_counter()
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
        )
        parts: list[str] = []
        async with stream:
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        parts.append(choice.delta.content)
        elapsed = time.perf_counter() - start
        if "".join(parts) != expected:
            raise BenchError("the SDK received a different text than was sent")
        return elapsed
    finally:
        await client.close()


def sdk_stream(base_url: str, expected: str, timeout: float) -> float:
    return run_async(_sdk_once(base_url, expected, timeout), timeout)


async def _raw_once(base_url: str, expected: str, timeout: float) -> float:
    import json

    import httpx2

    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}
    async with httpx2.AsyncClient(trust_env=False, timeout=httpx2.Timeout(timeout)) as http:
        start = time.perf_counter()
        parts: list[str] = []
        async with http.stream(
            "POST",
            base_url + "/chat/completions",
            json={**body, "stream": True},
            headers={"Authorization": f"Bearer {API_KEY}"},
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    for choice in json.loads(line[6:]).get("choices", ()):
                        parts.append(choice.get("delta", {}).get("content") or "")
        elapsed = time.perf_counter() - start
    if "".join(parts) != expected:
        raise BenchError("httpx2 received a different text than was sent")
    return elapsed


def raw_stream(base_url: str, expected: str, timeout: float) -> float:
    """The floor: the same stream read with httpx2 and json alone (no SDK objects)."""
    return run_async(_raw_once(base_url, expected, timeout), timeout)


# --------------------------------------------------------------------------- 2b. headless app


async def _app_once(base_url: str, home: Path, timeout: float) -> float:
    from chattui.i18n import set_language

    set_language("en")
    from chattui.core.models import MessageStatus, Role
    from chattui.core.services import Services
    from chattui.ui.app import ChatApp
    from chattui.ui.widgets.chat_log import ChatLog
    from chattui.ui.widgets.prompt import PromptInput

    environ = {"CHATTUI_HOME": str(home), "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": base_url}
    services = Services.load(environ=environ)
    services.warm_up()  # what the real app does in a thread after its first frame
    app = ChatApp(services, warm_up=False)
    try:
        async with app.run_test(size=(COLUMNS, LINES)) as pilot:
            app.services.connect()
            await pilot.pause()
            prompt = app.screen.query_one("#prompt", PromptInput)
            prompt.text = PROMPT
            await pilot.pause()
            start = time.perf_counter()
            deadline = start + timeout
            await pilot.press("enter")  # returns once the app is idle: mostly, at the end
            screen = app.screen
            while True:
                messages = screen.conversation.messages  # type: ignore[attr-defined]
                last = messages[-1] if messages else None
                busy = any(w.group.startswith("reply-") and not w.is_finished for w in app.workers)
                if (
                    last is not None
                    and last.role is Role.ASSISTANT
                    and last.status is not MessageStatus.STREAMING
                    and not busy
                ):
                    break
                if not app.is_running:
                    raise BenchError("the app stopped")
                if time.perf_counter() > deadline:
                    raise BenchError(f"the reply did not finish within {timeout:.0f} s")
                await asyncio.sleep(0.002)
            await app.workers.wait_for_complete()
            await pilot.pause()
            log = screen.query_one("#log", ChatLog)
            if SENTINEL not in log.rendered_text():
                raise BenchError("the chat log does not show the reply's last line")
            elapsed = time.perf_counter() - start
            if last.status is not MessageStatus.COMPLETE:
                raise BenchError(f"the reply ended as {last.status.value}: {last.error}")
            await app.workers.wait_for_complete()
        return elapsed
    finally:
        client = services.engine.session.client
        aclose = getattr(client, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


def app_stream(base_url: str, timeout: float) -> float:
    with temp_home() as home:
        return run_async(_app_once(base_url, home, timeout), timeout + 30)


# --------------------------------------------------------------------------- 2c. pty app


class PtyChat:
    """One chattui process in a pty, sending one prompt per run (Ctrl+N between runs)."""

    def __init__(self, base_url: str, settle: float) -> None:
        self._home = Path(tempfile.mkdtemp(prefix="chattui-bench-"))
        self.app = PtyApp(chattui_argv(), chattui_env(self._home, base_url))
        self.runs = 0
        try:
            self.app.wait_for(READY_CHATTUI, 60)
        except BenchError:
            self.close()
            raise
        # The app imports openai and builds its client in a thread after the first frame;
        # give it that time, as a user reading the screen would, before typing.
        self.app.drain(settle)

    def run(self, timeout: float) -> float:
        """Type a prompt, press Enter; seconds until the reply's last line is painted."""
        app = self.app
        if self.runs:
            app.send(CTRL_N)
            app.drain(0.3)
        self.runs += 1
        prompt = f"{PROMPT} Take {self.runs}."
        app.send(prompt.encode())
        app.wait_for(f"Take {self.runs}.".encode(), 10)
        app.drain(0.2)
        start = time.perf_counter()
        app.send(b"\r")
        try:
            elapsed = app.wait_for(SENTINEL.encode(), timeout, since=start)
        except BenchError as error:
            raise BenchError(f"{error} (after {app.total:,} bytes of output)") from None
        # Not timed: let the reply finish (the status line says "ready" again). It may have
        # been painted in the same write as the sentinel, and so already read.
        with contextlib.suppress(BenchError):
            app.wait_for(READY_STATUS, 5)
        return elapsed

    def close(self) -> None:
        try:
            if self.app.proc.poll() is None:
                with contextlib.suppress(BenchError):
                    self.app.quit(timeout=30)
        finally:
            self.app.close()
            shutil.rmtree(self._home, ignore_errors=True)


def fresh_reply(base_url: str, timeout: float, settle: float = 0.0) -> float:
    """The first reply of a fresh process: chattui is started, the prompt typed as soon as the
    first frame is painted (after ``settle`` seconds, if given) and Enter pressed once it is
    echoed; seconds from Enter until the reply's last line is painted."""
    with temp_home() as home:
        app = PtyApp(chattui_argv(), chattui_env(home, base_url))
        try:
            app.wait_for(READY_CHATTUI, 60)
            if settle:
                app.drain(settle)
            app.send(PROMPT.encode())
            app.wait_for(PROMPT[-12:].encode(), 10)
            start = time.perf_counter()
            app.send(b"\r")
            elapsed = app.wait_for(SENTINEL.encode(), timeout, since=start)
            with contextlib.suppress(BenchError):
                app.wait_for(READY_STATUS, 5)
            app.quit(timeout=30)
            return elapsed
        finally:
            app.close()


# --------------------------------------------------------------------------- report


def bench_stream(
    sizes: list[int], runs: int, big_runs: int, timeout: float, settle: float, pty: bool
) -> None:
    for number, tokens in enumerate(sizes):
        text = reply_text(tokens)
        count = runs if number == 0 else big_runs
        print(
            f"streaming a {tokens:,}-token reply ({len(text):,} chars, "
            f"{-(-len(text) // CHUNK_SIZE):,} deltas), {count} runs",
            file=sys.stderr,
            flush=True,
        )
        k = _k(tokens)
        with Server(text) as server:
            url = server.base_url
            # Interleaved runs; the first round of the first size also warms up (untimed)
            # imports, caches and the server.
            for index in range(count):
                warm = 1 if index == 0 and number == 0 else 0
                measure(
                    f"raw.{tokens}", f"{k} httpx2 + json (floor)", 1,
                    partial(raw_stream, url, text, timeout), warm,
                )  # fmt: skip
                measure(
                    f"sdk.{tokens}", f"{k} openai SDK alone", 1,
                    partial(sdk_stream, url, text, timeout), warm,
                )  # fmt: skip
                measure(
                    f"app.{tokens}", f"{k} app headless (run_test)", 1,
                    partial(app_stream, url, timeout), warm,
                )  # fmt: skip
            if not pty:
                continue
            if number == 0:
                for index in range(count):
                    warm = 1 if index == 0 else 0
                    measure(
                        f"fresh.{tokens}", f"{k} first reply, Enter at the first frame", 1,
                        partial(fresh_reply, url, timeout), warm,
                    )  # fmt: skip
                    measure(
                        f"freshwarm.{tokens}", f"{k} first reply, Enter after {settle:g} s", 1,
                        partial(fresh_reply, url, timeout, settle),
                    )  # fmt: skip
                    measure(
                        f"sdk.{tokens}", f"{k} openai SDK alone", 1,
                        partial(sdk_stream, url, text, timeout),
                    )  # fmt: skip
            try:
                chat = PtyChat(url, settle)
            except BenchError as error:
                RESULTS.setdefault(f"pty.{tokens}", Result(f"{k} app in a pty")).errors.append(
                    str(error)
                )
                continue
            try:
                measure(f"pty.{tokens}", f"{k} app in a pty", count, partial(chat.run, timeout))
            finally:
                chat.close()


def report(sizes: list[int], runs: int) -> None:
    print()
    print(
        f"chattui end-to-end benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"median of {runs} runs (min-max)"
    )
    print()
    for result in RESULTS.values():
        if result.samples:
            lo, hi = min(result.samples), max(result.samples)
            spread = f"({lo * 1000:,.0f}-{hi * 1000:,.0f})"
        else:
            spread = ""
        failed = f"  {len(result.errors)} failed" if result.errors else ""
        print(f"  {result.name:<36} {_fmt(result.median):>10}  {spread:<18}{failed}")
    print()
    print("ratios (of medians)")
    rows: list[tuple[str, float | None, str]] = [
        ("first frame: chattui / bare Textual", _ratio("start.chattui", "start.bare"), "<= 1.3"),
        ("first frame: bare Textual / python -c pass", _ratio("start.bare", "start.python"), ""),
    ]
    for tokens in sizes:
        k = _k(tokens)
        rows.append(
            (f"{k}: app headless / SDK", _ratio(f"app.{tokens}", f"sdk.{tokens}"), "<= 1.5")
        )
        rows.append((f"{k}: app in pty / SDK", _ratio(f"pty.{tokens}", f"sdk.{tokens}"), "<= 1.5"))
        if f"fresh.{tokens}" in RESULTS:
            fresh, warm = f"fresh.{tokens}", f"freshwarm.{tokens}"
            rows.append(
                (f"{k}: first reply, fresh process / SDK", _ratio(fresh, f"sdk.{tokens}"), "<= 1.0")
            )
            rows.append(
                (f"{k}: first reply, fresh process / floor", _ratio(fresh, f"raw.{tokens}"), "")
            )
            rows.append(
                (f"{k}: first reply after warm-up / SDK", _ratio(warm, f"sdk.{tokens}"), "")
            )
            rows.append((f"{k}: first reply, fresh / after warm-up", _ratio(fresh, warm), ""))
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        linear = f"~{big / small:g}"
        name = f"{_k(big)} / {_k(small)}"
        rows.append((f"{name}: SDK", _ratio(f"sdk.{big}", f"sdk.{small}"), linear))
        rows.append((f"{name}: app headless", _ratio(f"app.{big}", f"app.{small}"), linear))
        rows.append((f"{name}: app in pty", _ratio(f"pty.{big}", f"pty.{small}"), linear))
    for name, value, goal in rows:
        shown = "—" if value is None else f"{value:.2f}x"
        print(f"  {name:<44} {shown:>8}   {('goal ' + goal + 'x') if goal else ''}")
    errors = [(r.name, e) for r in RESULTS.values() for e in r.errors]
    if errors:
        print()
        print(f"{len(errors)} failed runs:")
        for name, error in errors:
            print(f"  {name}: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 runs of each")
    parser.add_argument(
        "--sizes", default="4000,20000", help="reply sizes in tokens (default 4000,20000)"
    )
    parser.add_argument(
        "--big-runs",
        type=int,
        default=None,
        help="runs for the sizes after the first (default 2, to stay near 3 minutes)",
    )
    parser.add_argument("--no-pty-stream", action="store_true", help="skip benchmark 2c")
    parser.add_argument("--no-startup", action="store_true", help="skip benchmark 1")
    parser.add_argument("--no-stream", action="store_true", help="skip benchmark 2")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds allowed per stream (default 120)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=3.0,
        help="seconds between chattui's first frame and typing in 2c (default 3)",
    )
    args = parser.parse_args()
    runs = 2 if args.quick else max(args.runs, 1)
    big_runs = args.big_runs or min(runs, 2)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]

    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    atexit.register(_kill_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    began = time.perf_counter()
    try:
        if not args.no_startup:
            bench_startup(runs, timeout=60)
        if not args.no_stream:
            bench_stream(sizes, runs, big_runs, args.timeout, args.settle, not args.no_pty_stream)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        _kill_all()
    report(sizes, runs)
    print(f"\ntotal time {time.perf_counter() - began:.0f} s")
    return 1 if any(r.errors for r in RESULTS.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
