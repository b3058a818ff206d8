"""Start the full-screen app: load the services, set the language, run."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

__all__ = ["launch"]


def _attach_terminal() -> str | None:
    """Make sure keys come from the terminal; an error message if there is no terminal.

    With standard input piped (``echo hi | chattui``) the app would draw but read the pipe,
    not the keyboard: the terminal is opened instead, as full-screen programs do.
    """
    if not sys.stdout.isatty():
        return "standard output is not a terminal; run chattui in a terminal window."
    if sys.stdin is not None and sys.stdin.isatty():
        return None
    try:
        terminal = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return "no terminal to read keys from (standard input is not one)."
    os.dup2(terminal, 0)  # the driver reads keys from file descriptor 0
    os.close(terminal)
    return None


def launch(overrides: Mapping[str, object]) -> int:
    """Run the app with command-line ``overrides``; return the exit code."""
    problem = _attach_terminal()
    if problem:
        print(f"chattui: {problem}", file=sys.stderr)
        return 2
    from chattui.core.services import Services, resolve_language
    from chattui.i18n import set_language

    services = Services.load(overrides)
    # The language must be set before the UI modules are imported: their bindings'
    # descriptions are translated when the classes are created.
    set_language(resolve_language(services.settings.language))

    from chattui.ui.app import ChatApp

    app = ChatApp(services)
    app.run()
    services.store.flush_index()
    # Everything is saved by now (workers were cancelled and saved their replies). Skip the
    # interpreter's teardown of openai, tiktoken and the warm-up thread: it takes seconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
