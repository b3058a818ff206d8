"""Start the full-screen app: load the services, set the language, run."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chattui.core.models import Conversation

if TYPE_CHECKING:
    from chattui.core.storage import ConversationStore

__all__ = ["StartAt", "find_conversation", "launch"]


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


@dataclass(frozen=True)
class StartAt:
    """What the app shows first (``chattui --continue``, ``--new PROMPT``, ``open ID``)."""

    conversation: Conversation | None = None
    """Open this conversation; None starts a new one."""
    prompt: str = ""
    """Send this at once (kept in the prompt if it cannot be sent yet, e.g. no key)."""


def find_conversation(store: ConversationStore, wanted: str) -> Conversation | str:
    """The conversation whose id is ``wanted`` or starts with it; else why not (a message)."""
    from chattui.core.storage import StorageError
    from chattui.i18n import _

    try:
        ids = [summary.id for summary in store.list_conversations()]
        matches = [cid for cid in ids if cid == wanted] or [
            cid for cid in ids if cid.startswith(wanted)
        ]
        if len(matches) != 1:
            if matches:
                return _("{id!r} matches {count} conversations.", id=wanted, count=len(matches))
            return _("No conversation has the id {id!r}.", id=wanted)
        return store.load(matches[0])
    except StorageError as error:
        return error.problem.text(_)


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

    services = Services.load(overrides)
    services.start_log()
    # The language must be set before the UI modules are imported: their bindings'
    # descriptions are translated when the classes are created.
    set_language(resolve_language(services.settings.language))
    wanted = str(overrides.get("profile") or "")
    if wanted and wanted not in services.settings.profiles:
        defined = ", ".join(sorted(services.settings.profiles)) or _("none")
        print("chattui: " + _(
            "No profile named “{name}” in {file} (defined: {defined}).",
            name=wanted, file=services.paths.config_file, defined=defined,
        ), file=sys.stderr)  # fmt: skip
        return 2
    conversation: Conversation | None = None
    if conversation_id:
        found = find_conversation(services.store, conversation_id)
        if isinstance(found, str):
            print(f"chattui: {found}", file=sys.stderr)
            return 2
        conversation = found
    elif latest:
        summaries = services.store.list_conversations()
        if summaries:
            found = find_conversation(services.store, summaries[0].id)
            conversation = found if isinstance(found, Conversation) else None
        else:
            print("chattui: " + _("No conversation yet: starting a new one."), file=sys.stderr)

    problem = _attach_terminal()
    if problem:
        print(f"chattui: {problem}", file=sys.stderr)
        return 2
    from chattui.ui.app import ChatApp

    app = ChatApp(services, start=StartAt(conversation, prompt))
    app.run()
    services.store.flush_index()
    # Everything is saved by now (workers were cancelled and saved their replies). Skip the
    # interpreter's teardown of openai, tiktoken and the warm-up thread: it takes seconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
