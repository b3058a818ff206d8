"""The conversation library's order and filter: pinned first, then by last activity; archived
conversations only when asked for; a filter matching titles by case-folded substring."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from chattui.core.storage import ConversationSummary

__all__ = ["fold", "order_summaries"]


def fold(text: str) -> str:
    """``text`` normalised for matching: NFKC (full-width letters become ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def order_summaries(
    summaries: Iterable[ConversationSummary], query: str = "", show_archived: bool = False
) -> list[ConversationSummary]:
    """The sidebar's entries: those whose title contains every word of ``query`` (any case),
    archived ones only if ``show_archived`` (then after the others), pinned first, each group
    by last activity, newest first."""
    words = fold(query).split()
    kept = [
        summary
        for summary in summaries
        if (show_archived or not summary.archived)
        and all(word in fold(summary.title) for word in words)
    ]
    kept.sort(key=lambda s: (s.archived, not s.pinned, -s.updated))
    return kept
