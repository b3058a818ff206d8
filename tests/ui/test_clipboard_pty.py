"""Copy in a real terminal: the bytes the app writes under a pty carry the code as OSC 52."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.fakeserver import FakeOpenAI, Reply
from tests.security.helpers import PtyApp

ALT_UP = b"\x1b[1;3A"
CODE = 'echo "二"\nls -la'


def test_copy_code_block_writes_osc52_with_the_code_only(
    fake_server: FakeOpenAI, tmp_path: Path
) -> None:
    fake_server.queue(Reply(text=f"One:\n\n```py\nx = 1\n```\n\nTwo:\n\n```sh\n{CODE}\n```\n"))
    env = {
        "CHATTUI_HOME": str(tmp_path / "home"),
        "OPENAI_API_KEY": "sk-pty-clipboard-0000111122223333",
        "OPENAI_BASE_URL": fake_server.base_url,
        "PATH": "/nonexistent",  # no clipboard tool: the terminal alone gets it
    }
    with PtyApp(env, size=(100, 30)) as app:
        assert app.wait_for_text("Type a message", 15), app.output[-2000:]
        app.write(b"show code\r")
        assert app.wait_for_text("sh · 2", 15), app.output[-2000:]
        start = len(app.output)
        app.write(ALT_UP)
        assert app.wait_for_text("Regenerate", 10)  # the chat log's keys in the footer
        app.write(b"\x1b[B\x1b[B\x03")  # Down, Down: on code block 2; Ctrl+C copies it
        expected = b"\x1b]52;c;" + base64.b64encode(CODE.encode("utf-8"))
        assert app.read_until(lambda: expected in app.output[start:], 10), app.output[-2000:]
        assert app.wait_for_text("Copied code block 2: 2 lines (terminal)", 10)
        app.write(b"\x11")  # Ctrl+Q
        assert app.wait_exit(10) == 0
