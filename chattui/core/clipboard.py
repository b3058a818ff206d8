"""Copying text with the platform's clipboard tool (pbcopy, wl-copy, xclip, xsel, clip.exe).

The UI also writes the text through the terminal (OSC 52), which works over SSH; this module
adds the local tool where one exists and the session can reach it. A missing or failing tool
is not an error: :func:`copy_with_tool` then returns None.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence

__all__ = ["clipboard_command", "copy_with_tool"]

TOOL_TIMEOUT = 3.0
"""Seconds a clipboard tool may take."""


def clipboard_command(environ: Mapping[str, str] | None = None) -> Sequence[str] | None:
    """The command that puts its standard input on the clipboard here, or None."""
    env = os.environ if environ is None else environ
    path = env.get("PATH")

    def which(name: str) -> str | None:
        return shutil.which(name, path=path)

    candidates: list[list[str]] = []
    if sys.platform == "darwin":
        candidates.append(["pbcopy"])
    if sys.platform == "win32" or env.get("WSL_DISTRO_NAME"):
        candidates.append(["clip.exe"])
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(["wl-copy"])
    if env.get("DISPLAY"):
        candidates.append(["xclip", "-selection", "clipboard", "-in"])
        candidates.append(["xsel", "--clipboard", "--input"])
    for command in candidates:
        program = which(command[0])
        if program is not None:
            return [program, *command[1:]]
    return None


def copy_with_tool(text: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Put ``text`` on the clipboard with the platform tool; the tool's name, or None if
    there is none or it failed. Blocks up to :data:`TOOL_TIMEOUT` seconds (call it off the
    event loop)."""
    command = clipboard_command(environ)
    if command is None:
        return None
    env = None if environ is None else dict(environ)
    try:
        # xclip and xsel stay alive to serve the selection: their output must not be a pipe
        # we wait on, or this would block until the selection is taken.
        result = subprocess.run(
            command,
            input=text.encode("utf-8", "surrogatepass"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=TOOL_TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, UnicodeError):
        return None
    return os.path.basename(command[0]) if result.returncode == 0 else None
