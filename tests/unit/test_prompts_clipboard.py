"""Prompt history and drafts files; choosing the platform's clipboard tool."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from chattui.core.clipboard import clipboard_command, copy_with_tool
from chattui.core.prompts import HISTORY_LIMIT, HISTORY_TEXT_LIMIT, Drafts, PromptHistory


def test_history_newest_first_deduplicated_capped_and_persisted(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    history = PromptHistory(path)
    for text in ["a", "b", "a", "  ", "x" * (HISTORY_TEXT_LIMIT + 1)]:
        history.add(text)
    assert history.newest_first() == ["a", "b"]
    history.save()
    assert path.stat().st_mode & 0o777 == 0o600
    assert PromptHistory(path).newest_first() == ["a", "b"]
    for n in range(HISTORY_LIMIT + 5):
        history.add(f"p{n}")
    assert len(history.entries) == HISTORY_LIMIT


def test_unreadable_files_are_empty_not_errors(tmp_path: Path) -> None:
    (tmp_path / "h.json").write_text("{not json")
    (tmp_path / "d.json").write_text('["a list"]')
    assert PromptHistory(tmp_path / "h.json").entries == []
    assert Drafts(tmp_path / "d.json").get("x") == ""


def test_drafts_round_trip_and_removal(tmp_path: Path) -> None:
    drafts = Drafts(tmp_path / "drafts.json")
    drafts.set("c1", "half typed 半句")
    drafts.set("", "new one")
    drafts.save()
    assert not drafts.dirty
    again = Drafts(tmp_path / "drafts.json")
    assert again.get("c1") == "half typed 半句" and again.get("") == "new one"
    again.set("c1", "")
    again.save()
    assert Drafts(tmp_path / "drafts.json").get("c1") == ""


def tool(directory: Path, name: str, body: str = "cat > /dev/null") -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.mark.skipif(sys.platform != "linux", reason="Linux tool choice")
def test_tool_choice_follows_the_session(tmp_path: Path) -> None:
    for name in ("xclip", "xsel", "wl-copy"):
        tool(tmp_path, name)
    path = str(tmp_path)
    assert clipboard_command({"PATH": path}) is None  # no display: OSC 52 only (e.g. SSH)
    wayland = clipboard_command({"PATH": path, "WAYLAND_DISPLAY": "wayland-0"})
    assert wayland is not None and wayland[0].endswith("wl-copy")
    x11 = clipboard_command({"PATH": path, "DISPLAY": ":0"})
    assert x11 is not None and x11[0].endswith("xclip")
    (tmp_path / "xclip").unlink()
    xsel = clipboard_command({"PATH": path, "DISPLAY": ":0"})
    assert xsel is not None and list(xsel[1:]) == ["--clipboard", "--input"]


def test_copy_with_tool_reports_failure_as_none(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    tool(tmp_path, "xclip", f"cat > '{out}'")
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "DISPLAY": ":0"}
    assert copy_with_tool("复制 this", env) == "xclip"
    assert out.read_text("utf-8") == "复制 this"
    tool(tmp_path, "xclip", "exit 1")
    assert copy_with_tool("x", env) is None
