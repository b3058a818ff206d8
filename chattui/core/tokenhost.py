"""Token counting in a helper process, so that the app's process never holds tiktoken's tables.

tiktoken's Rust tables for ``o200k_base`` take ~45 MB for as long as the process lives, and
~30 MB more while they are built from the ranks; importing ``tiktoken`` (and ``regex``) adds
~10 MB. The full-screen app counts on every keystroke, so it needs an encoding all the time,
but not in its own memory: :class:`TokenHost` runs ``python -m chattui.core.tokenhost``, which
loads the encodings and answers counts over pipes (~0.1 ms a request). Building the tables
there also keeps the ~0.3 s of Python work it takes off the app's interpreter lock, on the
other core.

The app starts the helper only when a request comes near the model's window (far from it,
nothing needs counting: see :mod:`chattui.core.window`), and the helper stops
after :data:`IDLE_STOP` seconds without a request: its ~70 MB are the app's only while the
counts matter. Starting it again costs ~0.4 s (on the other core), once.

One-shot commands (``chattui tokens``, ``chattui ask``) count in their own process
(:func:`count_in_process`): a helper would cost them a second interpreter for one count.

The protocol, little-endian: a request is ``<B encoding index><I n>`` then ``n`` times
``<I length><UTF-8 text>`` (``surrogatepass``, so every ``str`` travels); the answer is
``<B 0>`` then ``n`` counts as ``<I>``, or ``<B 1><I length><UTF-8 message>`` when the encoding
cannot be loaded (:class:`EncodingError` in the caller). If the helper cannot start or dies
twice, counting goes on in-process, as before it existed; the answer is the same.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Final

from chattui.core.encodings import EXACT_ENCODINGS, EncodingError, get_encoding

__all__ = ["CountTexts", "TokenHost", "count_in_process", "serve"]

log = logging.getLogger(__name__)

CountTexts = Callable[[str, Sequence[str]], list[int]]
"""``(encoding name, texts) -> token counts``, in the texts' order."""

_HEADER: Final = struct.Struct("<BI")
_LENGTH: Final = struct.Struct("<I")
_PRELOAD: Final = "o200k_base"
"""Loaded as the helper starts: the encoding of current OpenAI models and of estimates."""
_OK: Final = 0
_FAILED: Final = 1
IDLE_STOP: Final = 120.0
"""Seconds without a request after which the helper is stopped (started again when needed)."""


def count_in_process(encoding: str, texts: Sequence[str]) -> list[int]:
    """Count in this process (loads the encoding here on first use).

    Raises:
        EncodingError: The encoding is unknown or its file is missing or corrupted.
    """
    loaded = get_encoding(encoding)
    return [len(loaded.encode_ordinary(text)) if text else 0 for text in texts]


class HostDied(RuntimeError):
    """The helper process went away (or answered nonsense) in the middle of a request."""


class TokenHost:
    """A helper process that counts tokens; thread-safe, started on the first count.

    Calling the instance is a :data:`CountTexts`.
    """

    def __init__(self, argv: Sequence[str] | None = None, idle_stop: float = IDLE_STOP) -> None:
        """Prepare (not start) the helper.

        Args:
            argv: The helper's command line (default: this interpreter, ``-m`` this module).
            idle_stop: Seconds without a request after which the helper stops.
        """
        self.argv = list(argv or [sys.executable, "-m", __name__])
        self.idle_stop = idle_stop
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._last_use = 0.0
        self._reaper: threading.Thread | None = None
        self._closing = threading.Event()
        self._deaths = 0
        self.in_process = bool(getattr(sys, "frozen", False))
        """True once counting fell back to this process (or a frozen app, which has no ``-m``)."""

    def __call__(self, encoding: str, texts: Sequence[str]) -> list[int]:
        """Token counts of ``texts`` in ``encoding`` (see :data:`CountTexts`).

        Raises:
            EncodingError: The encoding is unknown or cannot be loaded.
        """
        if encoding not in EXACT_ENCODINGS:
            raise EncodingError(f"encoding {encoding!r} is not available offline")
        if not texts:
            return []
        with self._lock:
            while not self.in_process:
                try:
                    counts = self._ask(self._started(), EXACT_ENCODINGS.index(encoding), texts)
                except (OSError, HostDied) as error:
                    self._lost(error)
                else:
                    self._last_use = time.monotonic()
                    return counts
        return count_in_process(encoding, texts)

    def start(self) -> None:
        """Start the helper now (it loads ``o200k_base`` while the caller does other work)."""
        with self._lock:
            if not self.in_process:
                try:
                    self._started()
                except (OSError, HostDied) as error:
                    self._lost(error)

    def close(self) -> None:
        """Stop the helper (it also stops by itself when this process's end of the pipe closes)."""
        self._closing.set()
        with self._lock:
            self._stop()

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def _started(self) -> subprocess.Popen[bytes]:
        """The running helper, started if none runs.

        Raises:
            HostDied: The helper exited by itself since its last answer (killed, crashed):
                a death like one in the middle of a request (one stopped on purpose is gone).
        """
        if self._process is not None and self._process.poll() is not None:
            raise HostDied(f"it exited (code {self._process.returncode})")
        if self._process is None:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # never onto the app's screen
                close_fds=True,
            )
            self._last_use = time.monotonic()
            if self._reaper is None:
                self._reaper = threading.Thread(
                    target=self._stop_when_idle, name="tokenhost-idle", daemon=True
                )
                self._reaper.start()
        return self._process

    def _stop_when_idle(self) -> None:
        """Stop the helper once no request came for :attr:`idle_stop` seconds (a thread that
        ends with the helper)."""
        while True:
            with self._lock:
                left = self._last_use + self.idle_stop - time.monotonic()
                if self._process is not None and left <= 0:
                    log.info("token counting helper idle: stopped")
                    self._stop()
                if self._process is None:
                    self._reaper = None  # under the lock: the next start makes a new one
                    return
            if self._closing.wait(left):
                return

    def _ask(self, process: subprocess.Popen[bytes], index: int, texts: Sequence[str]) -> list[int]:
        assert process.stdin is not None and process.stdout is not None
        chunks = [_HEADER.pack(index, len(texts))]
        for text in texts:
            data = text.encode("utf-8", "surrogatepass")
            chunks += (_LENGTH.pack(len(data)), data)
        process.stdin.write(b"".join(chunks))
        process.stdin.flush()
        status = _read(process.stdout, 1)
        if status[0] == _FAILED:
            (length,) = _LENGTH.unpack(_read(process.stdout, _LENGTH.size))
            raise EncodingError(_read(process.stdout, length).decode("utf-8", "replace"))
        if status[0] != _OK:
            raise HostDied(f"unexpected answer {status!r}")
        return list(struct.unpack(f"<{len(texts)}I", _read(process.stdout, 4 * len(texts))))

    def _lost(self, error: BaseException) -> None:
        self._deaths += 1
        code = self._process.poll() if self._process is not None else None
        self._stop()
        if self._deaths >= 2:
            self.in_process = True
        log.warning(
            "token counting helper failed (%s, exit code %s)%s",
            error,
            code,
            "; counting in this process from now on" if self.in_process else "; restarting it",
        )

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read(stream: IO[bytes], size: int) -> bytes:
    """Exactly ``size`` bytes from the other side's pipe, or :class:`HostDied` if it ended."""
    data = stream.read(size) if size else b""
    if len(data) != size:
        raise HostDied("the other side closed the pipe")
    return data


def serve(requests: IO[bytes], answers: IO[bytes]) -> int:
    """Answer count requests until ``requests`` ends (the helper's main loop).

    Returns:
        0 at the end of the input, 2 on a malformed (cut-off) request.
    """
    while header := requests.read(_HEADER.size):
        try:
            index, n = _HEADER.unpack(header + _read(requests, _HEADER.size - len(header)))
            texts = []
            for _ in range(n):
                (length,) = _LENGTH.unpack(_read(requests, _LENGTH.size))
                texts.append(_read(requests, length).decode("utf-8", "surrogatepass"))
        except HostDied:
            return 2
        try:
            if index >= len(EXACT_ENCODINGS):
                raise EncodingError(f"no encoding number {index}")
            counts = count_in_process(EXACT_ENCODINGS[index], texts)
        except EncodingError as error:
            message = str(error).encode("utf-8", "replace")
            answers.write(bytes([_FAILED]) + _LENGTH.pack(len(message)) + message)
        else:
            answers.write(bytes([_OK]) + struct.pack(f"<{len(counts)}I", *counts))
        answers.flush()
    return 0


def main() -> int:
    """``python -m chattui.core.tokenhost``: serve counts on stdin/stdout."""
    # Ctrl+C in the terminal is the app's to handle; the helper ends when its input does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(EncodingError):  # reported to the first request that needs it
        get_encoding(_PRELOAD)
    return serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    os._exit(main())  # no interpreter teardown of tiktoken's tables: the process just ends
