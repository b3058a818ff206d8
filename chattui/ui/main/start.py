"""What the app shows first, as the command line asked (``--continue``, ``--new PROMPT``,
``open ID``)."""

from __future__ import annotations

from dataclasses import dataclass

from chattui.core.models import Conversation

__all__ = ["StartAt"]


@dataclass(frozen=True)
class StartAt:
    """What the app shows first (``chattui --continue``, ``--new PROMPT``, ``open ID``)."""

    conversation: Conversation | None = None
    """Open this conversation; None starts a new one (unless ``conversation_id`` is set)."""
    prompt: str = ""
    """Send this at once (kept in the prompt if it cannot be sent yet, e.g. no key)."""
    conversation_id: str = ""
    """Open the saved conversation with this id: the app reads it in a thread once it is up
    (a big file does not hold up the first frame); a damaged one is reported there."""
