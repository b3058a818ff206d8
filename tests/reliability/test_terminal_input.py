"""The real program in a pseudo-terminal: keys arrive however the terminal sends them.

Standard input piped (``echo hi | chattui``) and fast, un-bracketed input (laggy SSH sends
several keys in one write) must both reach the prompt as typed.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.fakeserver import FakeOpenAI
from tests.security.helpers import REPO_ROOT, PtyApp, home_dir, visible


def pty_env(fake_server: FakeOpenAI) -> dict[str, str]:
    return {
        "CHATTUI_HOME": str(home_dir()),
        "OPENAI_API_KEY": "sk-terminal-input-00001111",
        "OPENAI_BASE_URL": fake_server.base_url,
    }


def test_keys_come_from_the_terminal_when_stdin_is_piped(fake_server: FakeOpenAI) -> None:
    with PtyApp(pty_env(fake_server), size=(80, 24), stdin=subprocess.PIPE) as app:
        assert app.process.stdin is not None
        app.process.stdin.write(b"hi\n")  # what `echo hi |` gives it
        app.process.stdin.close()
        assert app.wait_for_text("Type a message", 15)
        app.write(b"typed on the keyboard")
        assert app.wait_for_text("typed on the keyboard", 10)
        app.write(b"\x11")  # Ctrl+Q
        assert app.wait_exit(10) == 0


def test_without_any_terminal_it_refuses_with_a_message(fake_server: FakeOpenAI) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chattui"],
        input="hi\n",
        capture_output=True,
        text=True,
        env={**pty_env(fake_server), "PATH": "/usr/bin:/bin"},
        cwd=REPO_ROOT,
        start_new_session=True,  # no controlling terminal to fall back on
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("chattui: ") and "terminal" in result.stderr
    assert not fake_server.chat_requests


def test_fast_unbracketed_newlines_stay_in_place(fake_server: FakeOpenAI) -> None:
    with PtyApp(pty_env(fake_server), size=(80, 24)) as app:
        assert app.wait_for_text("Type a message", 15)
        app.write(b"one\ntwo\nthree")  # one write, as a laggy link delivers typed keys
        assert app.wait_for_text("three", 10)
        app.write(b"\x11")
        assert app.wait_exit(10) == 0
        shown = visible(bytes(app.output))
    assert "onetwothree" not in shown and "twothree" not in shown


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.1])
def test_quitting_right_after_the_first_frame_exits_cleanly(
    fake_server: FakeOpenAI, delay: float
) -> None:
    """Parts of the screen are made just after the first frame (the sidebar's filter box, the
    footer, the session): a quit that comes first must not trip over them."""
    with PtyApp(pty_env(fake_server), size=(80, 24)) as app:
        assert app.wait_for_text("Type a message", 15)
        time.sleep(delay)  # the moment of the key, not a wait for work
        app.write(b"\x11")  # Ctrl+Q
        assert app.wait_exit(10) == 0, visible(bytes(app.output))[-2000:]
