"""Where ``chattui ask`` writes a reply: plain text for pipes, Rich Markdown for a terminal.

No Textual here: the one-shot path must start fast. Rich is imported only for a terminal.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from chattui.core.markdown_blocks import BlockStream

__all__ = ["MarkdownOutput", "PlainOutput", "ReplyOutput", "SilentOutput"]

LIVE_INTERVAL = 0.1
"""Seconds between redraws of the block still being written (never per delta)."""


_OWN_SPACING = frozenset({"bullet_list_open", "ordered_list_open", "table_open", "blockquote_open"})
"""Blocks that Rich renders with a blank line above them."""
_GAP_BELOW = frozenset({"table_open", "fence", "code_block"})
"""Blocks that Rich renders with a blank (or padding) line below them."""


def _hush_echo(out: TextIO) -> Callable[[], None]:
    """Stop the terminal on ``out`` from echoing typed keys (``^C`` included); return what
    turns the echo back on.

    An echo moves the cursor under Rich's live area: Ctrl+C's ``^C`` after a full-width line
    wraps to a new line, Rich's redraw then moves up one line too few, and the first line of
    the reply is left on screen twice. Keys typed meanwhile still reach the shell afterwards.
    """
    try:
        import termios
    except ImportError:  # pragma: no cover - Windows
        return lambda: None
    try:
        fd = out.fileno()
        saved = termios.tcgetattr(fd)
        quiet = list(saved)
        quiet[3] &= ~(termios.ECHO | getattr(termios, "ECHOCTL", 0))
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    except (OSError, ValueError, io.UnsupportedOperation, termios.error):
        return lambda: None

    def restore() -> None:
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd, termios.TCSANOW, saved)

    return restore


class ReplyOutput(Protocol):
    """Receives the reply as it streams."""

    def start(self) -> None: ...

    def write(self, text: str) -> None: ...

    def finish(self) -> None: ...


class SilentOutput:
    """Writes nothing while streaming (``--json`` prints the whole reply at the end)."""

    def start(self) -> None:
        pass

    def write(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass


class PlainOutput:
    """The reply's text exactly as it arrives, flushed per delta (for pipes and files)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._last = ""

    def start(self) -> None:
        pass

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        self._last = text[-1:] or self._last

    def finish(self) -> None:
        if self._last and self._last != "\n":
            self.out.write("\n")
        self.out.flush()


class MarkdownOutput:
    """The reply rendered as Markdown with Rich, block by block.

    Finished blocks are printed once, for good; the block still being written is shown in a
    live area below them, redrawn a few times a second. Text is sanitized first: model output
    never reaches the terminal as escape sequences.
    """

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console

        from chattui.core.markdown_blocks import BlockStream

        self._out = out
        self.console: Console = Console(file=out, highlight=False)
        self._blocks: BlockStream = BlockStream()
        self._printed = 0
        self._shown = False
        self._gap_below = False
        self._live: Live | None = None
        self._drawn = 0.0
        self._restore_echo: Callable[[], None] = lambda: None

    def start(self) -> None:
        from rich.live import Live
        from rich.text import Text

        self._live = Live(
            Text(""), console=self.console, transient=True, auto_refresh=False,
            vertical_overflow="crop",
        )  # fmt: skip
        self._restore_echo = _hush_echo(self._out)
        self._live.start()

    def write(self, text: str) -> None:
        self._blocks.append(text)
        now = time.monotonic()
        if now - self._drawn < LIVE_INTERVAL:
            return
        self._drawn = now
        self._blocks.flush()
        self._print_frozen()
        if self._live is not None:
            from rich.markdown import Markdown

            tail = "".join(block.text for block in self._blocks.open_blocks)
            self._live.update(Markdown(tail), refresh=True)

    def finish(self) -> None:
        self._blocks.close()
        try:
            if self._live is not None:
                self._live.stop()
                self._live = None
            self._print_frozen()
        finally:
            self._restore_echo()

    def _print_frozen(self) -> None:
        from rich.markdown import Markdown

        frozen = self._blocks.frozen
        while self._printed < len(frozen):
            block = frozen[self._printed]
            self._printed += 1
            if not block.key.strip():
                continue
            # One blank line between blocks, as Rich puts in a whole document (lists, tables
            # and quotes bring their own).
            first = block.tokens[0].type if block.tokens else ""
            if self._shown and first not in _OWN_SPACING and not self._gap_below:
                self.console.print()
            self.console.print(Markdown(block.key))
            self._shown = True
            self._gap_below = first in _GAP_BELOW
