"""Untrusted text loses everything a terminal would act on, and keeps everything readable."""

from __future__ import annotations

import pytest

from chattui.core.sanitize import sanitize, sanitize_line


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b[2Jb", "ab"),  # clear screen
        ("a\x1b]0;pwned\x07b", "ab"),  # window title
        ("a\x1b]52;c;aGVsbG8=\x07b", "ab"),  # OSC 52 clipboard write
        ("a\x1b]52;c;aGVsbG8=\x1b\\b", "ab"),  # ... with ST
        ("\x1b]8;;file:///etc/passwd\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8
        ("a\x1b[6nb", "ab"),  # cursor position report request
        ("a\x9b2Jb\x9d0;t\x9c", "ab"),  # 8-bit C1 CSI / OSC
        ("nul\x00here", "nulhere"),
        ("rtl\u202eevil\u2066x", "rtlevilx"),
        ("keep\ttabs\nand lines", "keep\ttabs\nand lines"),
        ("crlf\r\nline", "crlf\nline"),
        ("中文 emoji 😀 e\u0301", "中文 emoji 😀 e\u0301"),
        ("lone \ud800", "lone \ufffd"),
        ("\x1b", ""),
        ("[bold]markup[/] stays", "[bold]markup[/] stays"),
    ],
)
def test_sanitize(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


def test_sanitize_line() -> None:
    assert sanitize_line("  two\nlines\x1b[1m here ") == "two lines here"
    assert sanitize_line("abcdefghij", 5) == "abcd…"


def test_long_input_is_linear() -> None:
    text = ("x" * 1000 + "\x1b[") * 1000
    assert len(sanitize(text)) <= 1_001_000
