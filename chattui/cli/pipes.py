"""A closed standard output (``chattui ask ... | head``): stop quietly, as Unix tools do.

A C tool that writes to a pipe whose reader has gone is killed by SIGPIPE, and the shell
reports status 141 (128 + 13). Python ignores SIGPIPE and raises ``BrokenPipeError``
instead; our commands catch it, stop writing and exit with that same 141, without a
traceback, so ``set -o pipefail`` scripts see what they would see for ``yes | head``.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import Final, TextIO

__all__ = ["EXIT_PIPE_CLOSED", "output_closed"]

EXIT_PIPE_CLOSED: Final = 141
"""The exit status when standard output was closed by its reader: 128 + SIGPIPE."""


def output_closed(stream: TextIO) -> int:
    """Note that ``stream``'s reader has gone; return :data:`EXIT_PIPE_CLOSED`.

    The stream's descriptor is pointed at the null device: what is still buffered, and any
    later flush (ours, or the interpreter's at exit), then goes nowhere instead of raising
    ``BrokenPipeError`` again (the recipe of Python's ``signal`` documentation).
    """
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)
    return EXIT_PIPE_CLOSED
