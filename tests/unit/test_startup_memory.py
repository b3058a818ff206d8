"""Issue 11: the tokenizer keeps one copy of its tables; the command line turns the garbage
collector off only for the app's start-up."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from chattui import cli
from chattui.core.encodings import get_encoding


def test_the_python_copy_of_the_ranks_is_freed_and_encoding_still_works() -> None:
    encoding = get_encoding("o200k_base")
    assert encoding._mergeable_ranks == {}  # the Rust tables have their own copy
    assert len(encoding.token_byte_values()) > 199000  # from the Rust tables
    for text in ("hello world", "你好，世界", "def f(x):\n    return x * 2\n", "🙂 ünïcödé"):
        tokens = encoding.encode(text)
        assert tokens and encoding.decode(tokens) == text
    assert get_encoding("o200k_base") is encoding  # loaded once


def test_a_command_leaves_the_garbage_collector_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHATTUI_HOME", str(tmp_path))
    assert gc.isenabled()
    assert cli.main(["--paths"]) == 0
    assert gc.isenabled()
    assert str(tmp_path) in capsys.readouterr().out
