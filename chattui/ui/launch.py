"""Start the full-screen app: load the services, set the language, run."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chattui.core.services import Services

__all__ = ["find_conversation", "launch"]


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


def find_conversation(services: Services, wanted: str) -> tuple[str, str]:
    """The id of the conversation whose id is ``wanted`` or starts with it, and "" ; else
    "" and why not (a message). Only the index is read: the file is opened by the app."""
    from chattui.core.storage import StorageError
    from chattui.i18n import _

    try:
        ids = [summary.id for summary in services.list_conversations()]
    except StorageError as error:
        return "", error.problem.text(_)
    matches = [cid for cid in ids if cid == wanted] or [
        cid for cid in ids if cid.startswith(wanted)
    ]
    if len(matches) == 1:
        return matches[0], ""
    if matches:
        return "", _("{id!r} matches {count} conversations.", id=wanted, count=len(matches))
    return "", _("No conversation has the id {id!r}.", id=wanted)


def launch(
    overrides: Mapping[str, object],
    *,
    latest: bool = False,
    conversation_id: str = "",
    prompt: str = "",
) -> int:
    """Run the app with command-line ``overrides``; return the exit code.

    Args:
        overrides: Settings given on the command line.
        latest: Open the most recently updated conversation.
        conversation_id: Open this conversation (or the one whose id starts with it).
        prompt: Send this at once in the conversation shown.
    """
    from chattui.core.services import Services, resolve_language
    from chattui.i18n import _, set_language

    # Key commands run in a worker; tokens are counted in a helper process, so that
    # tiktoken's tables (~45 MB) stay out of the app's memory.
    services = Services.load(overrides, defer_key_commands=True, token_helper=True)
    services.start_log()
    # The language must be set before the UI modules are imported: their bindings'
    # descriptions are translated when the classes are created.
    set_language(resolve_language(services.settings.language))
    missing = services.missing_profile(str(overrides.get("profile") or ""))
    if missing is not None:
        print("chattui: " + missing.text(_), file=sys.stderr)
        return 2
    found = ""
    if conversation_id:
        found, unknown = find_conversation(services, conversation_id)
        if unknown:
            print(f"chattui: {unknown}", file=sys.stderr)
            return 2
    elif latest:
        summaries = services.list_conversations()
        if summaries:
            found = summaries[0].id
        else:
            print("chattui: " + _("No conversation yet: starting a new one."), file=sys.stderr)

    problem = _attach_terminal()
    if problem:
        print(f"chattui: {problem}", file=sys.stderr)
        return 2
    from chattui.ui.app import ChatApp
    from chattui.ui.main.start import StartAt

    app = ChatApp(services, start=StartAt(prompt=prompt, conversation_id=found))
    app.run()
    services.flush_index()
    # Everything is saved by now (workers were cancelled and saved their replies). Skip the
    # interpreter's teardown of openai, tiktoken and the warm-up thread: it takes seconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
