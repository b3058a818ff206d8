"""Issue 11: the app counts tokens in a helper process (tiktoken's tables stay out of its
memory). The helper is the real ``python -m chattui.core.tokenhost``; its answers must equal
counting in-process, and a helper that cannot start, dies or fails to load is never the
user's problem beyond a clear error."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chattui.core import tokenhost
from chattui.core.encodings import EncodingError
from chattui.core.tokenhost import TokenHost, count_in_process, serve

TEXTS = [
    "hello world",
    "你好，世界！这是一个测试。",
    "",
    "def f(x):\n    return x * 2\n" * 50,
    "<|endoftext|> is plain text here",
    "lone surrogate \udc80 and emoji 🙂",
    "lorem ipsum 你好 " * 20_000,
]


@pytest.fixture
def host() -> Iterator[TokenHost]:
    host = TokenHost()
    yield host
    host.close()


def test_the_helper_counts_exactly_as_this_process(host: TokenHost) -> None:
    for encoding in ("o200k_base", "cl100k_base"):
        assert host(encoding, TEXTS) == count_in_process(encoding, TEXTS)
    assert host("o200k_base", ["hello world"]) == [2]
    assert host("o200k_base", []) == []
    assert not host.in_process and host.pid is not None and host.pid != os.getpid()


def test_an_unknown_encoding_is_refused_before_the_helper(host: TokenHost) -> None:
    with pytest.raises(EncodingError, match="r50k_base"):
        host("r50k_base", ["x"])
    assert host.pid is None  # nothing was started for it


def test_a_helper_that_dies_is_restarted_then_given_up(host: TokenHost) -> None:
    assert host("o200k_base", ["one"]) == [1]
    first = host.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert host("o200k_base", ["hello world"]) == [2]  # a new helper answered
    second = host.pid
    assert second is not None and second != first and not host.in_process
    os.kill(second, signal.SIGKILL)
    dead(second)  # already gone when asked (not in the middle of a request): a death too
    assert host("o200k_base", ["hello world"]) == [2]  # died twice: counted here
    assert host.in_process and host.pid is None


def dead(pid: int, timeout: float = 10.0) -> None:
    """Wait until process ``pid`` has exited (a zombie, not yet reaped by its parent)."""
    deadline = time.monotonic() + timeout
    stat = Path(f"/proc/{pid}/stat")
    while stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the process did not exit"
        time.sleep(0.01)  # polling the kernel's process table; no work of ours to await


def test_a_helper_that_cannot_start_falls_back_to_this_process(tmp_path: Path) -> None:
    host = TokenHost([str(tmp_path / "no-such-python"), "-m", "chattui.core.tokenhost"])
    assert host("o200k_base", ["hello world", "你好"]) == count_in_process(
        "o200k_base", ["hello world", "你好"]
    )
    assert host.in_process


def test_a_helper_that_cannot_load_the_tokenizer_says_why(tmp_path: Path) -> None:
    """The helper's EncodingError reaches the caller as one (the budget shows it); the helper
    stays up for the next request."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from chattui.core import encodings, tokenhost
        encodings.bundled_ranks_path = lambda name: Path({str(tmp_path / "gone.gz")!r})
        raise SystemExit(tokenhost.main())
        """
    )
    host = TokenHost([sys.executable, "-c", script])
    try:
        with pytest.raises(EncodingError, match="cannot read tokenizer file"):
            host("o200k_base", ["hello"])
        with pytest.raises(EncodingError, match="cannot read tokenizer file"):
            host("cl100k_base", ["hello"])
        assert not host.in_process and host.pid is not None
    finally:
        host.close()


def test_serve_answers_until_its_input_ends_and_rejects_garbage() -> None:
    request = tokenhost._HEADER.pack(0, 2)
    for text in ("hello world", "你好"):
        data = text.encode()
        request += tokenhost._LENGTH.pack(len(data)) + data
    answers = io.BytesIO()
    assert serve(io.BytesIO(request), answers) == 0
    expected = count_in_process("o200k_base", ["hello world", "你好"])
    assert answers.getvalue() == bytes([0]) + b"".join(n.to_bytes(4, "little") for n in expected)
    assert serve(io.BytesIO(request[:3]), io.BytesIO()) == 2  # a cut-off header
    assert serve(io.BytesIO(request[:-1]), io.BytesIO()) == 2  # a cut-off text
    answers = io.BytesIO()
    assert serve(io.BytesIO(tokenhost._HEADER.pack(9, 0)), answers) == 0
    assert answers.getvalue()[0] == 1 and b"no encoding number 9" in answers.getvalue()


def test_the_app_process_never_loads_tiktoken(tmp_path: Path) -> None:
    """The full-screen app's services count nothing far from the window's limit (an estimate,
    no helper started: its ~70 MB are not taken), and near it count exactly through the
    helper; tiktoken and its tables are never in the app's process."""
    script = textwrap.dedent(
        """
        import sys
        from chattui.core.models import Conversation, Message, Role
        from chattui.core.services import Services
        from chattui.core.tokenhost import TokenHost

        services = Services.load({"model": "gpt-4o"}, {"CHATTUI_HOME": sys.argv[1]},
                                 token_helper=True)
        services.warm_up()
        planner = services.engine.planner
        assert isinstance(planner.counts, TokenHost)
        far = Conversation(system_prompt="Be brief.")
        far.add(Message(Role.USER, "你好，世界"))
        far.add(Message(Role.ASSISTANT, "hello world " * 100))
        budget = planner.budget(far, "how are you?", services.settings)
        assert not budget.exact and planner.counts.pid is None, "counted far from the limit"
        far.add(Message(Role.USER, "how are you?"))
        request, dropped = planner.build(far, services.settings)
        assert dropped == 0 and len(request.messages) == 4 and planner.counts.pid is None

        # gpt-3.5-turbo-0613: a 4,096-token window, cl100k_base.
        near = Conversation(model="gpt-3.5-turbo-0613", system_prompt="Be brief.")
        near.add(Message(Role.USER, "你好，世界"))
        near.add(Message(Role.ASSISTANT, "hello world " * 700))
        budget = planner.budget(near, "how are you?", services.settings)
        assert budget.exact and planner.counts.pid is not None, "estimated near the limit"
        assert "tiktoken" not in sys.modules, "tiktoken was imported"
        print(budget.prompt, budget.history)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    prompt, history = map(int, done.stdout.split())
    assert prompt == count_in_process("cl100k_base", ["how are you?"])[0]
    user, reply = count_in_process("cl100k_base", ["你好，世界", "hello world " * 700])
    assert history == (3 + 1 + user) + (3 + 1 + reply)


def test_an_idle_helper_stops_and_starts_again_when_needed() -> None:
    host = TokenHost(idle_stop=0.0)
    try:
        assert host.pid is None  # nothing started before the first count
        assert host("o200k_base", ["hello world"]) == count_in_process(
            "o200k_base", ["hello world"]
        )
        for thread in threading.enumerate():
            if thread.name == "tokenhost-idle":
                thread.join(timeout=10)
        assert host.pid is None and not host.in_process  # stopped, not given up on
        assert host("o200k_base", ["你好"]) == count_in_process("o200k_base", ["你好"])
    finally:
        host.close()
