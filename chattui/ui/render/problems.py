"""Errors in the user's words, and what the UI offers to do about each kind.

The core hands over :class:`~chattui.core.problems.Problem` values; this module words them
through the translation catalog and picks the action: a key problem offers the settings, a
network or server one a retry, a reply cut short a continue.
"""

from __future__ import annotations

from chattui.core.models import Message
from chattui.core.problems import ErrorKind, Problem, ProblemError
from chattui.i18n import _

__all__ = [
    "SETTINGS_KINDS",
    "error_hint",
    "error_text",
    "message_problem_text",
    "offers_settings",
    "problem_text",
]

SETTINGS_KINDS = frozenset(
    {ErrorKind.AUTH, ErrorKind.NO_KEY, ErrorKind.FORBIDDEN, ErrorKind.NOT_FOUND, ErrorKind.PROXY}
)
"""Kinds fixed in the settings (key, model, base URL, proxy): the UI offers to open them."""

_CONTINUE_KINDS = frozenset({ErrorKind.STREAM_CUT, ErrorKind.INCOMPLETE})


def offers_settings(problem: Problem) -> bool:
    """Whether ``problem`` deserves a dialog offering the settings: only what a retry cannot
    fix (a rejected key, an unknown model, proxy credentials), not a proxy that is down."""
    if problem.kind is ErrorKind.PROXY:
        return problem.code == "proxy.auth"
    return problem.kind in SETTINGS_KINDS


def problem_text(problem: Problem) -> str:
    """``problem`` in the user's language."""
    return problem.text(_)


def error_text(error: BaseException) -> str:
    """An exception in the user's language: its problem if it carries one, else the system's
    words for an OS error (``Permission denied``...), else its text."""
    if isinstance(error, ProblemError):
        return problem_text(error.problem)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def message_problem_text(message: Message) -> str:
    """The error or note of ``message`` in the user's language ("" if it has none).

    Messages saved before errors became data only have the English text: it is shown as is.
    """
    if message.problem is not None:
        return problem_text(message.problem)
    return message.error or ""


def error_hint(problem: Problem | None, default: str) -> str:
    """The keys that help with ``problem`` (``default`` for messages without one)."""
    if problem is None:
        return default
    kind = problem.kind
    if kind in SETTINGS_KINDS:
        return _("F2 settings · Ctrl+R retry")
    if kind in _CONTINUE_KINDS:
        return _("Ctrl+G continue · Ctrl+R retry")
    if kind is ErrorKind.TOO_LONG:
        return _("F2 settings")
    return _("Ctrl+R retry")
