"""The real program in a pseudo-terminal: a burst of keys in ONE write (laggy SSH, a fast typist,
a paste without bracketed paste) is applied in the order typed.

Before the fix, keys handled by bindings (Backspace, the arrows, Home/End, Ctrl+W, Enter in a
box) ran after the characters behind them; it showed in about 1 run in 10 on a quiet machine,
so every burst is repeated. The values are checked where the program puts them: the request
the fake server received, the title saved on disk. (tests/ui/test_key_bursts.py checks the
text boxes' values in-process.)
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.fakeserver import FakeOpenAI
from tests.reliability.test_terminal_input import pty_env
from tests.security.helpers import PtyApp, home_dir, visible

REPEATS = 5
BS = b"\x7f"
LEFT, HOME, END, CTRL_W = b"\x1b[D", b"\x1b[H", b"\x1b[F", b"\x17"
QUIT = b"\x11"


def wait_until(app: PtyApp, predicate: Callable[[], bool], timeout: float = 15) -> None:
    """Read the app's output until ``predicate()`` holds; fail after ``timeout`` seconds."""
    assert app.read_until(predicate, timeout), visible(bytes(app.output))[-1500:]


def wait_for_requests(app: PtyApp, fake_server: FakeOpenAI, count: int) -> None:
    """Read the app's output until the fake server has had ``count`` chat requests."""
    wait_until(app, lambda: len(fake_server.chat_requests) >= count)


def sent(fake_server: FakeOpenAI) -> list[str]:
    return [request.last_user_text for request in fake_server.chat_requests]


def start(fake_server: FakeOpenAI, config: str = "") -> PtyApp:
    if config:
        path = home_dir() / "config" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config, "utf-8")
    env = {**pty_env(fake_server), "CHATTUI_AUTO_TITLE": "false"}
    app = PtyApp(env, size=(100, 30))
    assert app.wait_for_text("Type a message", 15)
    return app


@pytest.mark.parametrize(
    ("burst", "expected"),
    [
        (b"teh" + BS * 2 + b"he cat\r", "the cat"),
        (b"abc" + LEFT * 2 + b"X\r", "aXbc"),
        (b"word" + CTRL_W + b"fix\r", "fix"),
        (b"bc" + HOME + b"a" + END + b"d\r", "abcd"),
        (b"line one" + HOME + CTRL_W + b"x" + END + b"!\r", "xline one!"),
    ],
)
def test_a_burst_in_the_prompt_sends_what_was_typed(
    fake_server: FakeOpenAI, burst: bytes, expected: str
) -> None:
    with start(fake_server) as app:
        for count in range(1, REPEATS + 1):
            app.write(burst)  # one write: the keys arrive together
            wait_for_requests(app, fake_server, count)
        app.write(QUIT)
        assert app.wait_exit(10) == 0
    assert sent(fake_server) == [expected] * REPEATS


def test_enter_in_a_burst_sends_the_text_before_it_and_keeps_the_rest(
    fake_server: FakeOpenAI,
) -> None:
    with start(fake_server) as app:
        for count in range(2, 2 * REPEATS + 1, 2):
            app.write(b"onx" + BS + b"e\rtwo")
            wait_for_requests(app, fake_server, count - 1)
            app.write(b"\r")  # sends what the prompt held: "two"
            wait_for_requests(app, fake_server, count)
        app.write(QUIT)
        assert app.wait_exit(10) == 0
    assert sent(fake_server) == ["one", "two"] * REPEATS


def saved_titles() -> list[str]:
    folder = home_dir() / "data" / "conversations"
    files = [path for path in folder.glob("*.json") if path.name != "index.json"]
    return [json.loads(path.read_text("utf-8"))["title"] for path in files]


def wait_for_title(app: PtyApp, title: str) -> None:
    """Read the app's output until the only conversation is saved with ``title``."""
    wait_until(app, lambda: saved_titles() == [title])


def test_a_burst_in_the_rename_dialog_gives_the_title_typed(fake_server: FakeOpenAI) -> None:
    with start(fake_server) as app:
        app.write(b"hello\r")
        wait_until(app, lambda: saved_titles() == ["hello"])
        # Tab until the conversation list has focus (its keys show in the footer); the filter
        # box in between is made after the first frame, so the number of Tabs varies.
        for _ in range(6):
            app.write(b"\t")
            if app.wait_for_text("Rename", 3):
                break
        else:
            pytest.fail("the conversation list never had focus")
        for title in [f"代理{attempt}" for attempt in range(REPEATS)]:
            app.write(b"\x1br")  # Alt+R: rename
            assert app.wait_for_text("Rename conversation", 10)
            # Ctrl+U clears the old title; six Backspaces take "docker" back.
            app.write(b"\x15docker" + BS * 6 + title.encode() + b"\r")
            wait_for_title(app, title)
        app.write(QUIT)
        assert app.wait_exit(10) == 0


def test_alt_letter_bound_in_config_runs_its_action_and_types_nothing(
    fake_server: FakeOpenAI,
) -> None:
    config = '[keys]\ntoggle_sidebar = ["f9", "alt+s"]\n'
    with start(fake_server, config) as app:
        for count in range(1, REPEATS + 1):
            app.write(b"\x1bsx\r")  # Alt+S as a terminal sends it (ESC, "s"), then x, Enter
            wait_for_requests(app, fake_server, count)
        app.write(QUIT)
        assert app.wait_exit(10) == 0
    assert sent(fake_server) == ["x"] * REPEATS
