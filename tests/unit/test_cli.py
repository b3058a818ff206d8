"""The command line works without any key or config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import chattui


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chattui", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"chattui {chattui.__version__}"


def test_help() -> None:
    result = run("--help")
    assert result.returncode == 0 and "--paths" in result.stdout and "tokens" in result.stdout


def test_paths_under_chattui_home(tmp_path: Path, monkeypatch: object) -> None:
    import os

    home = os.environ["CHATTUI_HOME"]
    result = run("--paths")
    assert result.returncode == 0
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert set(lines) == {"config", "data", "cache", "themes", "log"}
    assert all(value.startswith(home) for value in lines.values())
    assert not Path(home, "data").exists()  # printing paths creates nothing


def test_a_bad_subcommand_option_shows_the_subcommand_usage() -> None:
    for command in ("tokens", "ask", "export"):
        result = run(command, "--bogus")
        assert result.returncode == 2
        assert result.stderr.startswith(f"usage: chattui {command} "), result.stderr
        assert f"chattui {command}: error: unrecognized arguments: --bogus" in result.stderr


def test_a_bad_setting_on_the_command_line_fails_there() -> None:
    result = run("--base-url", "ftp://x")  # would start the full-screen app if accepted
    assert result.returncode == 2
    assert "argument --base-url: 'ftp://x' must start with http:// or https://" in result.stderr
    assert run("--proxy", "gopher://h:1").returncode == 2
