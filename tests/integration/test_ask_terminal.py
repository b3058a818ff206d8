"""``chattui ask`` in a terminal (a pseudo-terminal): what the screen shows, keys typed.

The screen is worked out by :func:`screen`, a model of the little of a terminal that Rich's
live area uses: text with the pending wrap of the last column, CR, LF, cursor up, erase line.
"""

from __future__ import annotations

import os
import re
import subprocess
import termios

from tests.fakeserver import FakeOpenAI, Reply
from tests.security.helpers import PtyApp

_CONTROL = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def screen(raw: bytes, columns: int) -> list[str]:
    """The lines a terminal ``columns`` wide shows after ``raw`` (trailing blanks cut)."""
    rows: list[list[str]] = [[]]
    row = column = 0
    wrap = False  # the last column was written: the next character goes to a new line
    text = raw.decode("utf-8", "replace")
    at = 0
    while at < len(text):
        control = _CONTROL.match(text, at)
        if control:
            at = control.end()
            if control.group(2) == "A":
                row, wrap = max(0, row - int(control.group(1) or 1)), False
            elif control.group(2) == "K" and control.group(1) == "2":
                rows[row] = []
            continue
        char = text[at]
        at += 1
        if char == "\r":
            column, wrap = 0, False
        elif char == "\n":
            row, wrap = row + 1, False
        elif char >= " ":
            if wrap:
                row, column, wrap = row + 1, 0, False
            rows.extend([] for _ in range(row + 1 - len(rows)))
            line = rows[row]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            wrap = column == columns - 1
            column = column if wrap else column + 1
        rows.extend([] for _ in range(row + 1 - len(rows)))
    return ["".join(line).rstrip() for line in rows]


def test_ctrl_c_leaves_each_line_of_the_partial_reply_once(fake_server: FakeOpenAI) -> None:
    """Typed Ctrl+C is echoed as ``^C`` by the terminal, unless ``ask`` turned the echo off:
    after a full-width line that echo moved Rich's live area down a line, and the reply's
    first line stayed on screen twice."""
    text = "First line of the reply.\nSecond line.\n\nA new paragraph " + "word " * 300
    fake_server.queue(Reply(text=text, chunk_size=5, delay=0.02))
    env = {
        "OPENAI_BASE_URL": fake_server.base_url,
        "OPENAI_API_KEY": "sk-test-terminal",
        "CHATTUI_HOME": os.environ["CHATTUI_HOME"],
    }
    with PtyApp(env, size=(80, 24), args=["ask", "hi"], stdin=subprocess.DEVNULL) as app:
        assert app.wait_for_text("paragraph word", 30)
        app.write(b"\x03")  # Ctrl+C typed: the terminal sends SIGINT
        assert app.wait_exit(30) == 130
        shown = screen(bytes(app.output), 80)
        assert termios.tcgetattr(app.master)[3] & termios.ECHO  # the echo is back
    assert shown[0] == "First line of the reply. Second line."
    assert shown.count(shown[0]) == 1, shown
    assert shown[2].startswith("A new paragraph word")
    assert shown[-2:] == ["chattui ask: stopped", ""]
